package app_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app"
)

// writeCertFiles writes a self-signed pair for name expiring at notAfter.
func writeCertFiles(t *testing.T, dir, name string, notAfter time.Time) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func TestDoctorChecksTLS(t *testing.T) {
	dir := t.TempDir()
	run := func(env map[string]string) (int, string) {
		env["ALLY_DATA_DIR"] = dir
		var out bytes.Buffer
		code := app.CLI(context.Background(), app.Env{Args: []string{"doctor"}, Stdout: &out, Stderr: &out, Getenv: func(k string) string { return env[k] }})
		return code, out.String()
	}
	good, goodKey := writeCertFiles(t, dir, "ally.test", time.Now().Add(60*24*time.Hour))
	expired, expiredKey := writeCertFiles(t, dir, "old.test", time.Now().Add(-time.Hour))
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"plain HTTP", map[string]string{}, "[warn] tls"},
		{"behind a TLS proxy", map[string]string{"ALLY_PUBLIC_URL": "https://ally.test"}, "[ok  ] tls            off: a TLS proxy"},
		{"valid files", map[string]string{"ALLY_TLS": "files", "ALLY_TLS_CERT_FILE": good, "ALLY_TLS_KEY_FILE": goodKey}, "[ok  ] tls            files: ally.test, expires"},
		{"expired files", map[string]string{"ALLY_TLS": "files", "ALLY_TLS_CERT_FILE": expired, "ALLY_TLS_KEY_FILE": expiredKey}, "EXPIRED"},
		{"files for another name", map[string]string{"ALLY_TLS": "files", "ALLY_TLS_CERT_FILE": good, "ALLY_TLS_KEY_FILE": goodKey, "ALLY_TLS_DOMAINS": "other.test"}, "does not cover other.test"},
		{"mismatched key", map[string]string{"ALLY_TLS": "files", "ALLY_TLS_CERT_FILE": good, "ALLY_TLS_KEY_FILE": expiredKey}, "[FAIL] tls"},
		{"unreachable CA", map[string]string{"ALLY_TLS": "acme", "ALLY_TLS_DOMAINS": "ally.test", "ALLY_ACME_DIRECTORY_URL": "https://127.0.0.1:1/dir"}, "does not answer"},
		{"acme without domains", map[string]string{"ALLY_TLS": "acme"}, "ALLY_TLS_DOMAINS: ALLY_TLS=acme needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, out := run(tt.env)
			if !strings.Contains(out, tt.want) {
				t.Fatalf("doctor output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}
