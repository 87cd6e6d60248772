package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"myally.app/ally/internal/app/apptest"
)

// badTexts are JSON string literals the API refuses in every text input: they would be
// stored altered (encoding/json turns invalid UTF-8 and lone surrogates into U+FFFD) or
// not at all (PostgreSQL cannot hold a NUL).
var badTexts = map[string]string{
	"NUL":             `"a\u0000b"`,
	"invalid UTF-8":   "\"a\xff\xfeb\"",
	"lone surrogate":  `"a\ud800b"`,
	"truncated UTF-8": "\"caf\xc3\"",
	"low surrogate":   `"\udc00"`,
}

// textFields are string fields of request bodies beyond those in the documented examples.
var textFields = map[string][]string{
	"PUT /api/v1/me/preferences": {"tone", "language"},
	"POST /api/v1/conversations": {"title"},
}

// badText: every string field of every JSON request body, and every query parameter,
// holding a NUL or text that is not valid UTF-8 answers 400 invalid_request naming the
// field, on both databases, and changes nothing.
func (c *contract) badText(a *fixture) {
	t := c.t
	before := c.snapshot(a)
	sent := 0
	for _, op := range c.ops {
		tok := a.tokenFor(op)
		p := concrete(t, op, a)[0]
		for _, q := range op.Parameters {
			if q.In != "query" {
				continue
			}
			for name := range badTexts {
				value := "a\x00b"
				if name != "NUL" {
					value = "a\xffb"
				}
				res := c.raw(op.Method, p+"?"+url.QueryEscape(q.Name)+"="+url.QueryEscape(value), tok, "application/json", "")
				sent++
				if res.Status != http.StatusBadRequest || res.ErrorCode() != "invalid_request" || errorField(res) != q.Name {
					t.Errorf("%s %s with %s in ?%s=: %d %.200s, want 400 invalid_request field %q", op.Method, p, name, q.Name, res.Status, res.Body, q.Name)
				}
			}
		}
		var example map[string]any
		if raw := op.Example(); raw == nil || json.Unmarshal(raw, &example) != nil {
			continue
		}
		fields := textFields[op.Method+" "+op.Path]
		for k, v := range example {
			if _, ok := v.(string); ok && !slices.Contains(fields, k) {
				fields = append(fields, k)
			}
		}
		for _, field := range fields {
			for name, lit := range badTexts {
				body := map[string]any{}
				for k, v := range example {
					body[k] = v
				}
				body[field] = "PLACEHOLDER"
				raw, _ := json.Marshal(body)
				res := c.raw(op.Method, p, tok, "application/json", strings.Replace(string(raw), `"PLACEHOLDER"`, lit, 1))
				sent++
				checkResponse(t, c.doc, op, res)
				if !op.Secured() && res.Status == http.StatusNotFound {
					continue // a route its configuration turns off (Google sign-in) reads no body
				}
				if res.Status != http.StatusBadRequest || res.ErrorCode() != "invalid_request" || errorField(res) != field {
					t.Errorf("%s %s with %s in %q: %d %.200s, want 400 invalid_request field %q", op.Method, p, name, field, res.Status, res.Body, field)
				}
			}
		}
	}
	t.Logf("sent %d requests with bad text", sent)
	c.unchanged(before, c.snapshot(a), "after bad text")
}

// badLimit: every list route answers limit=-1, 0, a word or too large a number with 400
// invalid_request for the field limit.
func (c *contract) badLimit(a *fixture) {
	t := c.t
	walked := 0
	for _, op := range c.ops {
		paged := false
		for _, q := range op.Parameters {
			paged = paged || q.In == "query" && q.Name == "limit"
		}
		if !paged {
			continue
		}
		walked++
		p := concrete(t, op, a)[0]
		for _, v := range []string{"-1", "0", "abc", "1.5", "100000"} {
			res := c.call(op, p+"?limit="+v, a.tokenFor(op), nil)
			if res.Status != http.StatusBadRequest || res.ErrorCode() != "invalid_request" || errorField(res) != "limit" {
				t.Errorf("%s %s?limit=%s: %d %.200s, want 400 invalid_request field limit", op.Method, p, v, res.Status, res.Body)
			}
		}
		if res := c.call(op, p+"?limit=1", a.tokenFor(op), nil); res.Status != http.StatusOK {
			t.Errorf("%s %s?limit=1: %d %.200s", op.Method, p, res.Status, res.Body)
		}
	}
	if walked < 4 {
		t.Errorf("walked only %d list routes", walked)
	}
}

// uncleanPaths: an API path with a ".", ".." or empty segment answers a JSON 400 for the
// field path, never the router's HTML redirect, on every route.
func (c *contract) uncleanPaths(a *fixture) {
	t := c.t
	before := c.snapshot(a)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, op := range c.ops {
		if !strings.HasPrefix(op.Path, "/api/") {
			continue
		}
		p := concrete(t, op, a)[0]
		last := strings.LastIndex(p, "/")
		for _, bad := range []string{
			strings.Replace(p, "/api/v1/", "/api/v1/./", 1),
			strings.Replace(p, "/api/v1/", "/api/v1//", 1),
			p[:last] + "/../" + p[last+1:],
			p + "/.",
		} {
			req, _ := http.NewRequest(op.Method, c.s.URL+bad, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+a.token)
			res, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r := &apptest.Response{Status: res.StatusCode, Header: res.Header, Body: raw}
			if r.Status != http.StatusBadRequest || r.ErrorCode() != "invalid_request" || errorField(r) != "path" {
				t.Errorf("%s %s: %d %q %.200s, want 400 invalid_request field path", op.Method, bad, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
	}
	c.unchanged(before, c.snapshot(a), "after unclean paths")
}

func errorField(r *apptest.Response) string {
	var e struct {
		Error struct{ Field string }
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Field
}
