// Package tlsx is Ally's built-in HTTPS (ALLY_TLS): certificates obtained and renewed from
// an ACME CA with golang.org/x/crypto/acme/autocert and cached in the database (every
// instance shares them), or read from files and reloaded when they change; the listener
// that sends plain HTTP to HTTPS (and answers ACME http-01 challenges); TLS 1.2 or later
// only. With ALLY_TLS=off Ally speaks plain HTTP, for a TLS-terminating proxy in front.
package tlsx

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// The modes of ALLY_TLS.
const (
	Off   = "off"
	ACME  = "acme"
	Files = "files"
)

// Options configure built-in HTTPS; they mirror the ALLY_TLS* settings.
type Options struct {
	Mode         string
	Domains      []string
	CertFile     string
	KeyFile      string
	DirectoryURL string
	// Cache stores ACME state (DBCache in production).
	Cache autocert.Cache
	// HTTPClient talks to the ACME CA; nil means http.DefaultClient. Tests pass one that
	// trusts their in-process CA.
	HTTPClient *http.Client
	// HTTPSPort is the port HTTP requests are redirected to ("" or "443" for none).
	HTTPSPort string
}

// Setup is built-in HTTPS ready to serve: Config for the main listener, Redirect for the
// plain-HTTP one.
type Setup struct {
	Config *tls.Config
	// Redirect answers ACME http-01 challenges (acme mode) and redirects everything else
	// to the same host and path over HTTPS.
	Redirect http.Handler
	// Manager is the ACME certificate manager (nil in files mode).
	Manager *autocert.Manager
}

// New builds the TLS configuration for o.Mode; it returns nil, nil when the mode is off.
func New(o Options) (*Setup, error) {
	redirect := redirectHandler(o.HTTPSPort)
	switch o.Mode {
	case Off, "":
		return nil, nil
	case Files:
		fc, err := newFileCert(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: fc.GetCertificate}
		return &Setup{Config: cfg, Redirect: redirect}, nil
	case ACME:
		if o.Cache == nil {
			return nil, errors.New("tls: acme mode needs a certificate cache")
		}
		if len(o.Domains) == 0 {
			return nil, errors.New("tls: ALLY_TLS=acme needs ALLY_TLS_DOMAINS")
		}
		m := &autocert.Manager{
			Prompt: autocert.AcceptTOS,
			Cache:  o.Cache,
			// Only the configured names: anyone can point a DNS name at the server, and
			// each name asked for would otherwise cost an order at the CA.
			HostPolicy: autocert.HostWhitelist(o.Domains...),
			Client:     &acme.Client{DirectoryURL: o.DirectoryURL, HTTPClient: o.HTTPClient},
		}
		cfg := m.TLSConfig()
		cfg.MinVersion = tls.VersionTLS12
		return &Setup{Config: cfg, Redirect: m.HTTPHandler(redirect), Manager: m}, nil
	}
	return nil, fmt.Errorf("tls: ALLY_TLS=%q must be off, acme or files", o.Mode)
}

// redirectHandler sends a plain-HTTP request to the same host and path over HTTPS. 308
// keeps the method and body, so a form posted to http:// is not silently turned into a GET.
func redirectHandler(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" || strings.ContainsAny(host, "/\\@") {
			http.Error(w, "Use HTTPS.", http.StatusBadRequest)
			return
		}
		if httpsPort != "" && httpsPort != "443" {
			host = net.JoinHostPort(host, httpsPort)
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]" // an IPv6 literal
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}
