package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"myally.app/ally/internal/tlsx"
)

// serveTLS prepares built-in HTTPS for the main listener (ALLY_TLS) and starts the
// plain-HTTP redirect listener (ALLY_TLS_REDIRECT_ADDR). It returns nil when TLS is off:
// Ally then speaks plain HTTP, for a TLS proxy in front.
func (m *Main) serveTLS(ln net.Listener) (*tlsx.Setup, error) {
	port := httpsPort(m.Config.PublicURL, ln)
	s, err := tlsx.New(tlsx.Options{
		Mode:         m.Config.TLS,
		Domains:      m.Config.TLSDomains,
		CertFile:     m.Config.TLSCertFile,
		KeyFile:      m.Config.TLSKeyFile,
		DirectoryURL: m.Config.ACMEDirectoryURL,
		Cache:        &tlsx.DBCache{DB: m.DB},
		HTTPClient:   m.ACMEHTTPClient,
		HTTPSPort:    port,
	})
	if err != nil || s == nil {
		return nil, err
	}
	if m.Config.TLSRedirectAddr == "" {
		return s, nil
	}
	rln, err := net.Listen("tcp", m.Config.TLSRedirectAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (ALLY_TLS_REDIRECT_ADDR): %w", m.Config.TLSRedirectAddr, err)
	}
	m.RedirectURL = "http://" + rln.Addr().String()
	srv := &http.Server{
		Handler:           s.Redirect,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(rln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("redirect listener failed", "error", err)
		}
	}()
	m.OnShutdown(func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		<-done
		return err
	})
	return s, nil
}

// httpsPort is the port plain-HTTP requests are redirected to: that of ALLY_PUBLIC_URL
// (443 when it names none), which differs from the listener's behind port mapping (a
// container listening on 8443, published on 443); the listener's own port when the
// address asked for any free one (":0", tests).
func httpsPort(publicURL string, ln net.Listener) string {
	_, actual, _ := net.SplitHostPort(ln.Addr().String())
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme != "https" {
		return actual
	}
	switch u.Port() {
	case "":
		return "443"
	case "0":
		return actual
	}
	return u.Port()
}
