// Package tlsxtest runs a real ACME CA in the test process: Let's Encrypt's Pebble (its
// web front end, CA, validation authority and store), served by httptest.NewTLSServer on
// loopback. PEBBLE_VA_ALWAYS_VALID makes it accept every challenge, so no challenge
// server or DNS is needed; everything else (accounts, orders, CSRs, issuance) is the
// real protocol.
package tlsxtest

import (
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// Pebble is a running test CA.
type Pebble struct {
	// DirectoryURL is the ACME directory (ALLY_ACME_DIRECTORY_URL).
	DirectoryURL string
	// Client trusts the CA's own HTTPS endpoint; pass it as the ACME HTTP client.
	Client *http.Client
	// Roots holds the root that signs issued certificates: verify served chains with it.
	Roots *x509.CertPool
	// RootSubject names that root (issued chains end at it).
	RootSubject string
}

// StartPebble starts a CA that issues certificates valid for validity seconds (0: Pebble's
// default of 90 days) and stops it when the test ends. It sets process environment
// variables, so tests using it cannot run in parallel.
func StartPebble(t testing.TB, validity uint64) *Pebble {
	t.Helper()
	t.Setenv("PEBBLE_VA_ALWAYS_VALID", "1")
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	// Pebble rejects 5 % of nonces by default to exercise clients' retries; autocert
	// retries them, but a deterministic test wants none.
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	logger := log.New(io.Discard, "", 0)
	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "test", ValidityPeriod: validity}}
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, profiles)
	// The ports are those challenges would be checked on; with always-valid none is dialled.
	validator := va.New(logger, 5002, 5001, false, "", store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	root := authority.GetRootCert(0)
	roots.AddCert(root.Cert)
	return &Pebble{
		DirectoryURL: srv.URL + wfe.DirectoryPath,
		Client:       srv.Client(),
		Roots:        roots,
		RootSubject:  root.Cert.Subject.CommonName,
	}
}
