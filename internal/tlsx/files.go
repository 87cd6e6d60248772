package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"time"
)

// fileCert serves a certificate and key from files and loads them again when either file
// changes (a renewal by certbot or a secret mount being updated), without a restart. The
// check is a stat of both files at each handshake: cheap next to the handshake itself, and
// it needs no goroutine to own.
type fileCert struct {
	certFile, keyFile string

	mu       sync.Mutex
	cert     *tls.Certificate
	certTime time.Time
	keyTime  time.Time
}

func newFileCert(certFile, keyFile string) (*fileCert, error) {
	f := &fileCert{certFile: certFile, keyFile: keyFile}
	if _, err := f.current(); err != nil {
		return nil, err
	}
	return f, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (f *fileCert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return f.current()
}

// current returns the pair on disk, reloading it when a modification time changed. A pair
// that fails to load (say, a half-written file) keeps the previous one in service.
func (f *fileCert) current() (*tls.Certificate, error) {
	ci, err := os.Stat(f.certFile)
	if err != nil {
		return f.fallback(fmt.Errorf("tls: ALLY_TLS_CERT_FILE: %w", err))
	}
	ki, err := os.Stat(f.keyFile)
	if err != nil {
		return f.fallback(fmt.Errorf("tls: ALLY_TLS_KEY_FILE: %w", err))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cert != nil && ci.ModTime().Equal(f.certTime) && ki.ModTime().Equal(f.keyTime) {
		return f.cert, nil
	}
	cert, err := LoadPair(f.certFile, f.keyFile)
	if err != nil {
		if f.cert != nil {
			return f.cert, nil
		}
		return nil, err
	}
	f.cert, f.certTime, f.keyTime = cert, ci.ModTime(), ki.ModTime()
	return f.cert, nil
}

func (f *fileCert) fallback(err error) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cert != nil {
		return f.cert, nil
	}
	return nil, err
}

// LoadPair reads a PEM certificate chain and its private key, with the leaf parsed.
func LoadPair(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: load ALLY_TLS_CERT_FILE and ALLY_TLS_KEY_FILE: %w", err)
	}
	if cert.Leaf == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("tls: parse certificate: %w", err)
		}
		cert.Leaf = leaf
	}
	return &cert, nil
}
