package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

func init() { RegisterValidator(validateTLS) }

// validateTLS checks the built-in HTTPS settings.
func validateTLS(c Config) []string {
	var p []string
	switch c.TLS {
	case "off":
		return nil
	case "acme":
		if len(c.TLSDomains) == 0 {
			p = append(p, "ALLY_TLS_DOMAINS: ALLY_TLS=acme needs at least one domain name, e.g. ally.example.com")
		}
		for _, d := range c.TLSDomains {
			if !validDomain(d) {
				p = append(p, fmt.Sprintf("ALLY_TLS_DOMAINS: %q is not a domain name (no wildcards, ports or IP addresses)", d))
			}
		}
		if u, err := url.Parse(c.ACMEDirectoryURL); err != nil || u.Scheme != "https" || u.Host == "" {
			p = append(p, fmt.Sprintf("ALLY_ACME_DIRECTORY_URL: %q must be an https:// URL", c.ACMEDirectoryURL))
		}
	case "files":
		if c.TLSCertFile == "" || c.TLSKeyFile == "" {
			p = append(p, "ALLY_TLS_CERT_FILE, ALLY_TLS_KEY_FILE: ALLY_TLS=files needs both files")
		}
	default:
		return []string{fmt.Sprintf("ALLY_TLS: %q must be off, acme or files", c.TLS)}
	}
	if c.TLSRedirectAddr != "" {
		if _, _, err := net.SplitHostPort(c.TLSRedirectAddr); err != nil {
			p = append(p, fmt.Sprintf("ALLY_TLS_REDIRECT_ADDR: %q must be host:port, for example :80, or empty", c.TLSRedirectAddr))
		} else if c.TLSRedirectAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
			p = append(p, "ALLY_TLS_REDIRECT_ADDR: must differ from ALLY_ADDR")
		}
	}
	return p
}

// validDomain accepts the DNS names a public CA issues for: dot-separated labels of
// letters, digits and hyphens.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || net.ParseIP(d) != nil || !strings.Contains(d, ".") && d != "localhost" {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// defaultPublicURL is ALLY_PUBLIC_URL when it is not set: the address Ally listens on,
// over HTTPS at the first certificate name when TLS is built in.
func (c Config) defaultPublicURL() string {
	if c.TLS == "off" {
		return "http://" + c.Addr
	}
	host, port, _ := net.SplitHostPort(c.Addr)
	if len(c.TLSDomains) > 0 {
		host = c.TLSDomains[0]
	}
	if host == "" {
		host = "localhost"
	}
	if port == "443" {
		return "https://" + host
	}
	return "https://" + net.JoinHostPort(host, port)
}
