package httpx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"myally.app/ally/internal/errs"
)

func TestDecodeRefusesBadInput(t *testing.T) {
	type body struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	tests := []struct {
		name, in, ctype string
		code            errs.Code
		field           string
	}{
		{"empty", "", "application/json", errs.Invalid, ""},
		{"not json", "{nope", "application/json", errs.Invalid, ""},
		{"wrong type", `{"age":"old"}`, "application/json", errs.Invalid, "age"},
		{"unknown field", `{"nmae":"x"}`, "application/json", errs.Invalid, "nmae"},
		{"trailing data", `{"name":"x"} {}`, "application/json", errs.Invalid, ""},
		{"form body", `name=x`, "application/x-www-form-urlencoded", errs.Invalid, ""},
		{"too large", `{"name":"` + strings.Repeat("x", 2048) + `"}`, "application/json", errs.TooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.in))
			r.Header.Set("Content-Type", tt.ctype)
			r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1024)
			var b body
			err := Decode(r, &b)
			e, ok := errs.As(err)
			if !ok || e.Code != tt.code || e.Field != tt.field {
				t.Fatalf("want %s (field %q), got %v", tt.code, tt.field, err)
			}
		})
	}
}

func TestErrorResponses(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{errs.E(errs.NotFound, "conversation not found"), 404, "not_found", "conversation not found"},
		{errs.InvalidField("email", "email is not valid"), 400, "invalid_request", "email is not valid"},
		{errs.E(errs.QuotaExceeded, "daily limit reached"), 429, "quota_exceeded", "daily limit reached"},
		{errs.E(errs.NoProvider, "no model provider"), 503, "no_provider", "no model provider"},
		// An error without a code is internal: its cause stays in the log.
		{bytes.ErrTooLarge, 500, "internal", "internal error"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		Error(rec, httptest.NewRequest("GET", "/", nil), tt.err)
		var body ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if rec.Code != tt.status || body.Error.Code != tt.code || body.Error.Message != tt.msg {
			t.Errorf("%v: got %d %+v", tt.err, rec.Code, body.Error)
		}
	}
}

func TestRateLimitedErrorCarriesRetryAfter(t *testing.T) {
	rec := httptest.NewRecorder()
	e := errs.E(errs.RateLimited, "too many attempts")
	e.Details = RetryAfter(42)
	Error(rec, httptest.NewRequest("POST", "/", nil), e)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "42" {
		t.Fatalf("got %d Retry-After=%q", rec.Code, rec.Header().Get("Retry-After"))
	}
	// In the body the seconds are a JSON number, as documented.
	var body struct {
		Error struct {
			Details map[string]json.RawMessage `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if got := string(body.Error.Details["retry_after_seconds"]); got != "42" {
		t.Fatalf("details.retry_after_seconds is %s, want the number 42", got)
	}
}

func TestClientIP(t *testing.T) {
	c := NewClientIP([]string{"10.0.0.0/8", "192.0.2.1"})
	tests := []struct {
		name, remote, xff, want string
	}{
		{"direct client ignores the header", "203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},
		{"trusted proxy forwards the client", "10.1.2.3:5000", "198.51.100.7", "198.51.100.7"},
		{"spoofed hops before the client are ignored", "10.1.2.3:5000", "6.6.6.6, 198.51.100.7", "198.51.100.7"},
		{"chain of trusted proxies", "192.0.2.1:5000", "198.51.100.7, 10.9.9.9", "198.51.100.7"},
		{"garbage header falls back to the proxy", "10.1.2.3:5000", "not-an-ip", "10.1.2.3"},
		{"ipv6 client", "[2001:db8::1]:443", "", "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := c.IP(r); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestAccessLogOmitsPersonalData: the access log has the route pattern, status and timing,
// and never the query string, body, cookies or Authorization header.
func TestAccessLogOmitsPersonalData(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		_ = Decode(r, &v)
		JSON(w, 201, map[string]string{"ok": "yes"})
	})
	h := Chain(mux, WithRequestID(logger), AccessLog(NewHTTPMetrics(prometheus.NewRegistry())), Recover, SecurityHeaders(true), LimitBody(1<<20))
	r := httptest.NewRequest("POST", "/api/v1/things/canary-id?q=canary-query", strings.NewReader(`{"secret":"canary-body"}`))
	r.Header.Set("Authorization", "Bearer canary-token")
	r.Header.Set("Cookie", "s=canary-cookie")
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	line := logs.String()
	if strings.Contains(line, "canary") {
		t.Fatalf("access log leaked request data: %s", line)
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(line), &entry); err != nil {
		t.Fatal(err)
	}
	if entry["route"] != "POST /api/v1/things/{id}" || entry["status"] != float64(201) || entry["request_id"] != rec.Header().Get("X-Request-ID") {
		t.Fatalf("access log lacks route, status or request id: %s", line)
	}
	if rec.Header().Get("Strict-Transport-Security") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("security headers missing")
	}
}

func TestRecoverTurnsPanicInto500(t *testing.T) {
	var logs bytes.Buffer
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }),
		WithRequestID(slog.New(slog.NewJSONHandler(&logs, nil))), Recover)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Fatal("panic not logged")
	}
}

func TestSSEEvents(t *testing.T) {
	rec := httptest.NewRecorder()
	s := NewSSE(rec)
	if err := s.Event("7", "delta", map[string]string{"text": "hi"}); err != nil {
		t.Fatal(err)
	}
	want := "id: 7\nevent: delta\ndata: {\"text\":\"hi\"}\n\n"
	if rec.Body.String() != want || rec.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("got %q (%s)", rec.Body.String(), rec.Header().Get("Content-Type"))
	}
}
