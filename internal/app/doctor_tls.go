package app

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/tlsx"
)

func init() { RegisterDoctorCheck(checkTLS) }

// renewSoon is how close to expiry a certificate must be for doctor to warn: files are
// renewed by something outside Ally, which may have stopped.
const renewSoon = 14 * 24 * time.Hour

// checkTLS reports how HTTPS is provided and whether its certificates will be served.
func checkTLS(ctx context.Context, cfg config.Config, d *db.DB) []Check {
	switch cfg.TLS {
	case tlsx.Files:
		return []Check{checkTLSFiles(cfg, time.Now())}
	case tlsx.ACME:
		return checkACME(ctx, cfg, d, time.Now())
	}
	if strings.HasPrefix(cfg.PublicURL, "https://") {
		return []Check{{"tls", OK, "off: a TLS proxy in front serves " + cfg.PublicURL + " (HSTS sent)"}}
	}
	return []Check{{"tls", Warning, "off and ALLY_PUBLIC_URL is not https://: traffic is plain HTTP unless a proxy adds TLS (set ALLY_TLS, or ALLY_PUBLIC_URL to the proxy's https:// address)"}}
}

func checkTLSFiles(cfg config.Config, now time.Time) Check {
	cert, err := tlsx.LoadPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return Check{"tls", Problem, err.Error()}
	}
	return certCheck("files", cert.Leaf, cfg.TLSDomains, now)
}

// certCheck grades one served certificate by its expiry and the names it covers.
func certCheck(what string, leaf *x509.Certificate, names []string, now time.Time) Check {
	detail := fmt.Sprintf("%s: %s, expires %s", what, strings.Join(leaf.DNSNames, ", "), leaf.NotAfter.UTC().Format(time.DateOnly))
	for _, n := range names {
		if leaf.VerifyHostname(n) != nil {
			return Check{"tls", Problem, fmt.Sprintf("%s; does not cover %s (ALLY_TLS_DOMAINS)", detail, n)}
		}
	}
	switch {
	case now.After(leaf.NotAfter):
		return Check{"tls", Problem, detail + "; EXPIRED"}
	case leaf.NotAfter.Sub(now) < renewSoon:
		return Check{"tls", Warning, detail + "; renew it soon"}
	}
	return Check{"tls", OK, detail}
}

// checkACME checks that the CA's directory answers and lists the cached certificates.
func checkACME(ctx context.Context, cfg config.Config, d *db.DB, now time.Time) []Check {
	var out []Check
	if err := acmeDirectoryAnswers(ctx, cfg.ACMEDirectoryURL); err != nil {
		out = append(out, Check{"tls", Problem, fmt.Sprintf("acme: the CA at %s does not answer: %v (ALLY_ACME_DIRECTORY_URL)", cfg.ACMEDirectoryURL, err)})
	} else {
		out = append(out, Check{"tls", OK, "acme: the CA at " + cfg.ACMEDirectoryURL + " answers"})
	}
	if d == nil {
		return out
	}
	cache := &tlsx.DBCache{DB: d}
	for _, name := range cfg.TLSDomains {
		data, err := cache.Get(ctx, name)
		if errors.Is(err, autocert.ErrCacheMiss) {
			out = append(out, Check{"tls", OK, "acme: no certificate for " + name + " yet; obtained at the first HTTPS connection (port 443 must reach ALLY_ADDR, or port 80 ALLY_TLS_REDIRECT_ADDR)"})
			continue
		}
		if err != nil {
			out = append(out, Check{"tls", Problem, fmt.Sprintf("acme: read the certificate cache: %v", err)})
			continue
		}
		leaf, err := cachedLeaf(data)
		if err != nil {
			out = append(out, Check{"tls", Warning, fmt.Sprintf("acme: the cached entry for %s is unreadable (%v); a new certificate will be obtained", name, err)})
			continue
		}
		out = append(out, certCheck("acme", leaf, []string{name}, now))
	}
	return out
}

func acmeDirectoryAnswers(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var dir struct {
		NewNonce string `json:"newNonce"`
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&dir); err != nil || dir.NewNonce == "" {
		return errors.New("not an ACME directory")
	}
	return nil
}

// cachedLeaf parses the leaf of an autocert cache entry: a private key, then the chain.
func cachedLeaf(data []byte) (*x509.Certificate, error) {
	_, rest := pem.Decode(data)
	b, _ := pem.Decode(rest)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("no certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}
