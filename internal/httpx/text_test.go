package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"myally.app/ally/internal/errs"
)

// TestDecodeRefusesBadText: invalid UTF-8 (raw, or a lone surrogate escape, which
// encoding/json would silently turn into U+FFFD) and NUL anywhere in a body are refused
// with invalid_request naming the field's path, before the target is touched.
func TestDecodeRefusesBadText(t *testing.T) {
	type prefs struct {
		Tone string `json:"tone"`
	}
	type body struct {
		Title string            `json:"title"`
		Prefs *prefs            `json:"prefs"`
		Tags  []string          `json:"tags"`
		Meta  map[string]string `json:"meta"`
		Any   any               `json:"any"`
	}
	tests := []struct {
		name, in string
		field    string // "-" when the body must be accepted
	}{
		{"raw invalid UTF-8", "{\"title\":\"a\xffb\"}", "title"},
		{"truncated UTF-8 sequence", "{\"title\":\"caf\xc3\"}", "title"},
		{"escaped NUL", `{"title":"a\u0000b"}`, "title"},
		{"lone high surrogate", `{"title":"a\ud800b"}`, "title"},
		{"lone high surrogate at the end", `{"title":"a\uD83D"}`, "title"},
		{"lone low surrogate", `{"title":"\udc00"}`, "title"},
		{"two high surrogates", `{"title":"\ud83d\ud83d"}`, "title"},
		{"nested struct", `{"prefs":{"tone":"x\u0000"}}`, "prefs.tone"},
		{"slice element", `{"tags":["ok","\u0000"]}`, "tags[1]"},
		{"map value", `{"meta":{"k":"\u0000"}}`, "meta.k"},
		{"map key", `{"meta":{"k\u0000":"v"}}`, "meta"},
		{"deep any", `{"any":[{"a":[1,{"b":"\ud800"}]}]}`, "any[0].a[1].b"},
		{"after other fields", `{"tags":["a","b"],"prefs":{"tone":"t"},"title":"\u0000"}`, "title"},
		{"surrogate pair", `{"title":"smile \ud83d\ude00"}`, "-"},
		{"escaped backslash before u0000", `{"title":"C:\\u0000"}`, "-"},
		{"real replacement character", `{"title":"a` + "\uFFFD" + `b \ufffd"}`, "-"},
		{"plain text", `{"title":"Trip to Lisbon ✈","tags":["x"],"meta":{"a":"b"},"any":[1,true,null]}`, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.in))
			r.Header.Set("Content-Type", "application/json")
			b := body{Title: "unchanged"}
			err := Decode(r, &b)
			if tt.field == "-" {
				if err != nil {
					t.Fatalf("refused a valid body: %v", err)
				}
				if strings.ContainsRune(b.Title, 0) {
					t.Fatalf("decoded a NUL: %q", b.Title)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field != tt.field {
				t.Fatalf("want invalid_request for field %q, got %v (%+v)", tt.field, err, e)
			}
			if b.Title != "unchanged" || b.Prefs != nil || b.Tags != nil {
				t.Fatalf("a refused body changed the target: %+v", b)
			}
		})
	}
}

func TestRefuseMalformed(t *testing.T) {
	var reached bool
	h := RefuseMalformed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.WriteHeader(http.StatusNoContent)
	}))
	tests := []struct {
		target string
		field  string // "-": passed to the handler
	}{
		{"/api/v1/memory/notes/food.md?x=1", "-"},
		{"/api/v1/conversations?q=caf%C3%A9&limit=5", "-"},
		{"/api/v1/memory/%2E%2E/x", "-"}, // the handler refuses ".." as a name itself
		{"/api/v1/memory/./notes", "path"},
		{"/api/v1/memory/notes/../food.md", "path"},
		{"/api/v1/memory/notes//food.md", "path"},
		{"/api/v1/memory/notes/.", "path"},
		{"/api//v1/me", "path"},
		{"/api/v1/conversations/abc%00", "path"},
		{"/api/v1/conversations/abc%FF", "path"},
		{"/api/v1/conversations?q=a%00b", "q"},
		{"/api/v1/conversations?q=%FF", "q"},
		{"/api/v1/conversations?q=%zz", ""},
		{"/api/v1/conversations?q=a;b", ""},
		{"/app/../settings", "-"}, // the web app keeps the router's redirect
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			reached = false
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.target, nil))
			if tt.field == "-" {
				if !reached {
					t.Fatalf("refused: %d %s", rec.Code, rec.Body)
				}
				return
			}
			var body ErrorBody
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if reached || rec.Code != 400 || body.Error.Code != "invalid_request" || body.Error.Field != tt.field {
				t.Fatalf("got %d %s, want 400 invalid_request field %q", rec.Code, rec.Body, tt.field)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		query string
		want  int // 0: refused
	}{
		{"", 30}, {"limit=", 30}, {"limit=1", 1}, {"limit=100", 100},
		{"limit=0", 0}, {"limit=-1", 0}, {"limit=abc", 0}, {"limit=101", 0}, {"limit=2.5", 0}, {"limit=99999999999999999999", 0},
	}
	for _, tt := range tests {
		n, err := Limit(httptest.NewRequest("GET", "/x?"+tt.query, nil), 30, 100)
		e, _ := errs.As(err)
		switch {
		case tt.want == 0 && (e == nil || e.Code != errs.Invalid || e.Field != "limit"):
			t.Errorf("%q: got %d %v, want invalid_request for limit", tt.query, n, err)
		case tt.want != 0 && (err != nil || n != tt.want):
			t.Errorf("%q: got %d %v, want %d", tt.query, n, err, tt.want)
		}
	}
}

// BenchmarkDecodeMessage decodes a 64 KiB message body, plain and with \u escapes (as
// Python's json.dumps writes non-ASCII text), which takes the token walk.
func BenchmarkDecodeMessage(b *testing.B) {
	for name, text := range map[string]string{
		"plain":   strings.Repeat("Tell me more about Lisbon. ", 2400),
		"escaped": strings.Repeat(`Caf\u00e9 \ud83d\ude00 `, 4000),
	} {
		body := []byte(`{"content":"` + text + `"}`)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
				var v struct {
					Content string `json:"content"`
				}
				if err := Decode(r, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
