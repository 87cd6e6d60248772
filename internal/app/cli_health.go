package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"
)

func init() {
	RegisterCommand("healthcheck", Command{"exit 0 if the server at ALLY_ADDR answers GET /healthz (the container image's health check)", cmdHealthcheck})
}

// cmdHealthcheck asks the local server whether it is alive. The container image has no
// shell or curl, so its HEALTHCHECK runs this. It checks liveness only: the load
// balancer's readiness check (/readyz) also covers the database.
func cmdHealthcheck(ctx context.Context, env Env) error {
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(cfg.Addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	// The check talks to this very process, so the certificate (issued for the public
	// names, not the loopback address) is not verified; the SNI is a configured name, so
	// an ACME host policy lets the handshake through.
	tr := &http.Transport{}
	if cfg.TLS == "acme" || cfg.TLS == "files" {
		scheme = "https"
		sni := "localhost"
		if len(cfg.TLSDomains) > 0 {
			sni = cfg.TLSDomains[0]
		}
		tr.TLSClientConfig = &tls.Config{ServerName: sni, InsecureSkipVerify: true} //nolint:gosec // loopback liveness check
	}
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("not answering: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /healthz: status %d", res.StatusCode)
	}
	fmt.Fprintln(env.Stdout, "ok")
	return nil
}
