package app_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
)

func webGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestWebApp checks what a browser relies on: the app at every page path, a strict CSP on
// the HTML, long caching for hashed assets only, and JSON errors staying JSON.
func TestWebApp(t *testing.T) {
	s := apptest.Start(t, dbtest.Target{Dialect: "sqlite"}, apptest.Options{})

	res, index := webGet(t, s.URL+"/")
	if res.StatusCode != 200 || !strings.Contains(index, `<div id="root">`) {
		t.Fatalf("GET / = %d, want the app's index.html", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:;", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	// An image's address can carry what is on the page to whoever serves it: the app loads
	// images from itself only.
	if strings.Contains(csp, "https:") || strings.Contains(csp, "http:") || strings.Contains(csp, "*") {
		t.Errorf("CSP lets the page fetch from other hosts: %q", csp)
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline or eval: %q", csp)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("index.html Cache-Control = %q, want no-cache", cc)
	}
	if regexp.MustCompile(`<script(?:[^>]*)>[^<]+</script>|<style|\sstyle=`).MatchString(index) {
		t.Errorf("index.html has inline script or style, which the CSP blocks:\n%s", index)
	}

	// Deep links load the app, so a reload on any page works.
	for _, p := range []string{"/c/abc123", "/settings/usage", "/verify-email?token=x", "/login"} {
		res, body := webGet(t, s.URL+p)
		if res.StatusCode != 200 || body != index {
			t.Errorf("GET %s = %d, want index.html", p, res.StatusCode)
		}
		if res.Header.Get("Content-Security-Policy") != csp {
			t.Errorf("GET %s has no strict CSP", p)
		}
	}

	// Every script and stylesheet index.html names is served and cached for good.
	assets := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(index, -1)
	if len(assets) < 2 {
		t.Fatalf("index.html names %d assets, want a script and a stylesheet", len(assets))
	}
	for _, a := range assets {
		res, body := webGet(t, s.URL+a[1])
		if res.StatusCode != 200 || len(body) == 0 {
			t.Errorf("GET %s = %d", a[1], res.StatusCode)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s Cache-Control = %q, want immutable", a[1], cc)
		}
		if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") && !strings.Contains(ct, "css") {
			t.Errorf("GET %s Content-Type = %q", a[1], ct)
		}
	}

	// A missing asset is a 404, not the app (a stale bundle must fail visibly).
	if res, _ := webGet(t, s.URL+"/assets/missing-0000.js"); res.StatusCode != 404 {
		t.Errorf("missing asset = %d, want 404", res.StatusCode)
	}
	// Unknown API paths stay JSON errors.
	res, body := webGet(t, s.URL+"/api/v1/nope")
	if res.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
		t.Errorf("GET /api/v1/nope = %d %s, want a JSON 404", res.StatusCode, body)
	}
	// Other methods on page paths are refused.
	r, err := http.Post(s.URL+"/settings", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode == 200 {
		t.Errorf("POST /settings = 200, want a refusal")
	}
}

// TestPublicConfig checks the sign-in page learns whether Google sign-in is on.
func TestPublicConfig(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, `"google_enabled":false,"require_verified_email":true`},
		{map[string]string{"ALLY_GOOGLE_CLIENT_ID": "id", "ALLY_GOOGLE_CLIENT_SECRET": "secret"}, `"google_enabled":true`},
	} {
		s := apptest.Start(t, dbtest.Target{Dialect: "sqlite"}, apptest.Options{Env: tc.env})
		res, body := webGet(t, s.URL+"/api/v1/config")
		if res.StatusCode != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("GET /api/v1/config = %d %s, want %s", res.StatusCode, body, tc.want)
		}
	}
}
