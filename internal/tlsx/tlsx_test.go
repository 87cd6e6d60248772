package tlsx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// writePair writes a fresh self-signed certificate for name and its key, stamping both
// files with mtime, and returns the certificate's serial.
func writePair(t testing.TB, certFile, keyFile, name string, mtime time.Time) *big.Int {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial := big.NewInt(time.Now().UnixNano())
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return serial
}

func served(t *testing.T, s *Setup) *big.Int {
	t.Helper()
	c, err := s.Config.GetCertificate(&tls.ClientHelloInfo{ServerName: "ally.test"})
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	return c.Leaf.SerialNumber
}

func TestFilesModeReloadsAChangedPair(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	t0 := time.Now().Add(-time.Hour)
	first := writePair(t, certFile, keyFile, "ally.test", t0)
	s, err := New(Options{Mode: Files, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.MinVersion != tls.VersionTLS12 {
		t.Fatalf("MinVersion = %x, want TLS 1.2", s.Config.MinVersion)
	}
	if got := served(t, s); got.Cmp(first) != 0 {
		t.Fatalf("served %v, want %v", got, first)
	}

	// A renewed pair on disk is served at the next handshake, without a restart.
	second := writePair(t, certFile, keyFile, "ally.test", t0.Add(time.Minute))
	if got := served(t, s); got.Cmp(second) != 0 {
		t.Fatalf("after the files changed served %v, want the new %v", got, second)
	}

	// A broken write (key replaced by garbage) keeps the last good pair in service.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(keyFile, t0.Add(2*time.Minute), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := served(t, s); got.Cmp(second) != 0 {
		t.Fatalf("with a broken key file served %v, want the last good %v", got, second)
	}
}

func TestFilesModeRefusesAMissingPairAtStart(t *testing.T) {
	dir := t.TempDir()
	_, err := New(Options{Mode: Files, CertFile: filepath.Join(dir, "none.pem"), KeyFile: filepath.Join(dir, "none.key")})
	if err == nil {
		t.Fatal("New with missing files succeeded")
	}
}

func TestRedirectKeepsHostPathAndMethod(t *testing.T) {
	tests := []struct{ port, host, target, want string }{
		{"443", "ally.test", "/c/1?x=2", "https://ally.test/c/1?x=2"},
		{"8443", "ally.test:80", "/", "https://ally.test:8443/"},
		{"", "[::1]:80", "/a", "https://[::1]/a"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, tt.target, nil)
			req.Host = tt.host
			redirectHandler(tt.port).ServeHTTP(rec, req)
			if rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != tt.want {
				t.Fatalf("%d %q, want 308 %q", rec.Code, rec.Header().Get("Location"), tt.want)
			}
		})
	}
}

func TestDBCacheStoresReplacesAndDeletes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &DBCache{DB: d}
		if _, err := c.Get(ctx, "ally.test"); !errors.Is(err, autocert.ErrCacheMiss) {
			t.Fatalf("Get of nothing: %v, want ErrCacheMiss", err)
		}
		blob := []byte{0, 1, 2, 255, 'p', 'e', 'm'}
		if err := c.Put(ctx, "ally.test", blob); err != nil {
			t.Fatal(err)
		}
		if err := c.Put(ctx, "ally.test", append(blob, 7)); err != nil {
			t.Fatal(err)
		}
		got, err := c.Get(ctx, "ally.test")
		if err != nil || string(got) != string(append(blob, 7)) {
			t.Fatalf("Get = %v, %v; want the replaced bytes", got, err)
		}
		if err := c.Delete(ctx, "ally.test"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, "ally.test"); !errors.Is(err, autocert.ErrCacheMiss) {
			t.Fatalf("Get after Delete: %v, want ErrCacheMiss", err)
		}
	})
}

// BenchmarkFilesGetCertificate is the cost files mode adds to each handshake: two stats
// to notice a renewed pair (a full handshake costs around a millisecond of CPU).
func BenchmarkFilesGetCertificate(b *testing.B) {
	dir := b.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePair(b, certFile, keyFile, "ally.test", time.Now().Add(-time.Hour))
	s, err := New(Options{Mode: Files, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		b.Fatal(err)
	}
	hello := &tls.ClientHelloInfo{ServerName: "ally.test"}
	for b.Loop() {
		if _, err := s.Config.GetCertificate(hello); err != nil {
			b.Fatal(err)
		}
	}
}
