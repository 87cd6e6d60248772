package httpx_test

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// fuzzBody has the shapes API bodies use: strings, numbers, booleans, pointers for
// optional fields, lists, nested objects and free-form JSON.
type fuzzBody struct {
	Title    string                     `json:"title"`
	Count    int64                      `json:"count"`
	Enabled  *bool                      `json:"enabled"`
	Channels []string                   `json:"channels"`
	Schedule *struct{ Kind, At string } `json:"schedule"`
	Labels   map[string]string          `json:"labels"`
	Extra    any                        `json:"extra"`
}

// FuzzDecode sends any bytes as a JSON request body. Decode never panics; it refuses with
// invalid_request (a 4xx the handler returns at once), or it accepts a single
// JSON object whose every string is valid UTF-8 without NUL.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"title":"Trip","count":3,"enabled":true,"channels":["in_app"],"schedule":{"Kind":"daily"}}`,
		`{"title":"a\u0000b"}`, `{"title":"\ud800"}`, `{"labels":{"\u0000":"x"}}`, `{"unknown":1}`, `{"count":"3"}`,
		`{} {}`, `[]`, `null`, ``, `{"extra":[{"a":[{"b":"\u00e9"}]}]}`, `{"title":"` + strings.Repeat("é", 100) + `"}`,
		"{\"title\":\"\xff\"}", `{"count":1e400}`, `{"enabled":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var v fuzzBody
		err := httpx.Decode(r, &v)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || (e.Code != errs.Invalid && e.Code != errs.TooLarge) {
				t.Fatalf("refusal %v is not invalid_request", err)
			}
			if s := httpx.Status(e.Code); s < 400 || s > 499 {
				t.Fatalf("refusal answers status %d", s)
			}
			return
		}
		checkStrings(t, reflect.ValueOf(v), body)
	})
}

func checkStrings(t *testing.T, v reflect.Value, body []byte) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Fatalf("accepted %q holding the string %q", body, s)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkStrings(t, v.Elem(), body)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			checkStrings(t, v.Field(i), body)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkStrings(t, v.Index(i), body)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			checkStrings(t, k, body)
			checkStrings(t, v.MapIndex(k), body)
		}
	}
}
