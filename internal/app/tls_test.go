package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/tlsx"
	"myally.app/ally/internal/tlsx/tlsxtest"
)

// acmeEnv configures an instance for built-in HTTPS from the test CA.
func acmeEnv(ca *tlsxtest.Pebble, domains string) apptest.Options {
	return apptest.Options{
		Env: map[string]string{
			"ALLY_TLS":                "acme",
			"ALLY_TLS_DOMAINS":        domains,
			"ALLY_ACME_DIRECTORY_URL": ca.DirectoryURL,
			"ALLY_TLS_REDIRECT_ADDR":  "127.0.0.1:0",
		},
		Before: func(m *app.Main) { m.ACMEHTTPClient = ca.Client },
	}
}

// handshake dials the instance's TLS listener asking for serverName (SNI) and returns the
// certificate it served, verified against roots when roots is not nil.
func handshake(t *testing.T, s *apptest.Server, serverName string, roots *x509.CertPool) (*x509.Certificate, error) {
	t.Helper()
	addr := strings.TrimPrefix(s.URL, "https://")
	cfg := &tls.Config{ServerName: serverName, RootCAs: roots, InsecureSkipVerify: roots == nil}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// httpsClient reaches the instance under the name host, trusting roots.
func httpsClient(s *apptest.Server, roots *x509.CertPool) *http.Client {
	addr := strings.TrimPrefix(s.URL, "https://")
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestACMEIssuesFromTheCAAndRefusesOtherHosts(t *testing.T) {
	ca := tlsxtest.StartPebble(t, 0)
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		dataDir := t.TempDir()
		o := acmeEnv(ca, "ally.test,www.ally.test")
		o.DataDir = dataDir
		s := apptest.Start(t, tg, o)
		if !strings.HasPrefix(s.URL, "https://") {
			t.Fatalf("URL = %s, want https", s.URL)
		}

		leaf, err := handshake(t, s, "ally.test", ca.Roots)
		if err != nil {
			t.Fatalf("handshake for ally.test: %v", err)
		}
		if leaf.Issuer.CommonName == "" || leaf.VerifyHostname("ally.test") != nil {
			t.Fatalf("served %v issued by %q, want a certificate for ally.test from the CA", leaf.DNSNames, leaf.Issuer.CommonName)
		}

		// A name not in ALLY_TLS_DOMAINS gets no certificate (and costs no order).
		if _, err := handshake(t, s, "evil.test", nil); err == nil {
			t.Fatal("handshake for evil.test succeeded, want it refused")
		}
		// Neither does a client offering only TLS 1.1.
		_, err = tls.Dial("tcp", strings.TrimPrefix(s.URL, "https://"),
			&tls.Config{ServerName: "ally.test", RootCAs: ca.Roots, MaxVersion: tls.VersionTLS11})
		if err == nil {
			t.Fatal("TLS 1.1 handshake succeeded, want TLS 1.2 or later only")
		}

		// Requests are served over HTTPS with HSTS.
		res, err := httpsClient(s, ca.Roots).Get("https://ally.test/healthz")
		if err != nil {
			t.Fatalf("GET https://ally.test/healthz: %v", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Fatalf("healthz over HTTPS: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
		}

		// Plain HTTP is redirected to the same host and path over HTTPS.
		req, _ := http.NewRequest(http.MethodGet, s.RedirectURL+"/c/abc?x=1", nil)
		req.Host = "ally.test"
		res, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatalf("GET over plain HTTP: %v", err)
		}
		res.Body.Close()
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "https://"))
		if want := "https://ally.test:" + port + "/c/abc?x=1"; res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != want {
			t.Fatalf("plain HTTP: %d to %q, want 308 to %q", res.StatusCode, res.Header.Get("Location"), want)
		}

		// The certificate is in the database: an instance started afterwards on it serves
		// the same one without reaching any CA.
		var n int
		if err := s.DB.R.QueryRow(`SELECT count(*) FROM tls_certificates WHERE name = 'ally.test'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("cached certificates for ally.test: %d, %v", n, err)
		}
		s.Stop()
		o.Env["ALLY_ACME_DIRECTORY_URL"] = "https://127.0.0.1:1/directory"
		s2 := apptest.Start(t, tg, o)
		again, err := handshake(t, s2, "ally.test", ca.Roots)
		if err != nil {
			t.Fatalf("handshake after restart: %v", err)
		}
		if again.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
			t.Fatalf("after restart served serial %v, want the cached %v", again.SerialNumber, leaf.SerialNumber)
		}
	})
}

func TestACMERenewsACertificateDueForRenewal(t *testing.T) {
	ca := tlsxtest.StartPebble(t, 0)
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		// A certificate 85 days into 90, as a server that has been up that long would hold:
		// inside the last third, so autocert renews it as soon as it is loaded.
		old := seedCertificate(t, tg, "renew.test", time.Now().Add(-85*24*time.Hour), time.Now().Add(5*24*time.Hour))
		s := apptest.Start(t, tg, acmeEnv(ca, "renew.test"))
		first, err := handshake(t, s, "renew.test", nil)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		if first.SerialNumber.Cmp(old) != 0 {
			t.Fatalf("first handshake served serial %v, want the cached %v", first.SerialNumber, old)
		}
		// Renewal runs in the background; wait for its result, bounded.
		deadline := time.Now().Add(30 * time.Second)
		for {
			leaf, err := handshake(t, s, "renew.test", ca.Roots)
			if err == nil && leaf.SerialNumber.Cmp(old) != 0 {
				if leaf.NotAfter.Before(time.Now().Add(80 * 24 * time.Hour)) {
					t.Fatalf("renewed certificate expires %v, want a fresh 90-day one", leaf.NotAfter)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("certificate not renewed within 30s (last error %v)", err)
			}
			time.Sleep(100 * time.Millisecond) // polling for the renewal, not waiting for time
		}
		// The renewal replaced the shared cache entry, for the other instances.
		var data []byte
		if err := s.DB.R.QueryRow(`SELECT data FROM tls_certificates WHERE name = 'renew.test'`).Scan(&data); err != nil {
			t.Fatal(err)
		}
		if serialOfCached(t, data).Cmp(old) == 0 {
			t.Fatal("the database still holds the old certificate")
		}
	})
}

// seedCertificate stores, in autocert's cache format, a self-signed certificate for domain
// valid from notBefore to notAfter, and returns its serial.
func seedCertificate(t *testing.T, tg dbtest.Target, domain string, notBefore, notAfter time.Time) *big.Int {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial := big.NewInt(time.Now().UnixNano())
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: domain}, DNSNames: []string{domain},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	data := append(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	d := dbtest.Open(t, tg)
	if err := (&tlsx.DBCache{DB: d}).Put(context.Background(), domain, data); err != nil {
		t.Fatal(err)
	}
	return serial
}

func serialOfCached(t *testing.T, data []byte) *big.Int {
	t.Helper()
	_, rest := pem.Decode(data)
	b, _ := pem.Decode(rest)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber
}
