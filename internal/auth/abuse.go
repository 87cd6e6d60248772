package auth

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"

	"myally.app/ally/internal/errs"
)

//go:embed disposable_domains.txt
var disposableText []byte

// disposableDomains is the set of refused email domains: the embedded list (unless turned
// off) plus the operator's.
type disposableDomains map[string]struct{}

func newDisposableDomains(builtin bool, extra []string) disposableDomains {
	d := disposableDomains{}
	if builtin {
		sc := bufio.NewScanner(bytes.NewReader(disposableText))
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				d[strings.ToLower(l)] = struct{}{}
			}
		}
	}
	for _, e := range extra {
		if e = strings.ToLower(strings.Trim(strings.TrimSpace(e), "@.")); e != "" {
			d[e] = struct{}{}
		}
	}
	return d
}

// refuses reports whether email's domain, or a parent of it, is on the list.
func (d disposableDomains) refuses(email string) bool {
	domain := email[strings.LastIndexByte(email, '@')+1:]
	for domain != "" {
		if _, ok := d[domain]; ok {
			return true
		}
		_, rest, found := strings.Cut(domain, ".")
		if !found {
			break
		}
		domain = rest
	}
	return false
}

// checkDomain refuses disposable addresses with a clear message.
func (s *Service) checkDomain(field, email string) error {
	if s.disposable.refuses(email) {
		return errs.InvalidField(field, "addresses from disposable email services are not accepted; use a permanent address")
	}
	return nil
}
