package httpx

import (
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"myally.app/ally/internal/errs"
)

// RefuseMalformed answers API requests the handlers must never see with a JSON 400
// invalid_request: a path that is not in its clean form ("/./", "/../", "//"; the router
// would otherwise answer with an HTML redirect), a path or query string that is not valid
// UTF-8 or holds a NUL, and a query string that does not parse. Other paths (the web app)
// keep the router's behaviour.
func RefuseMalformed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") {
			if err := checkRequestLine(r); err != nil {
				Error(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func checkRequestLine(r *http.Request) error {
	escaped := r.URL.EscapedPath()
	if !cleanPath(escaped) {
		return errs.InvalidField("path", "the path %q has an empty, \".\" or \"..\" segment; send the plain path", escaped)
	}
	if err := CheckText("path", r.URL.Path); err != nil {
		return errs.InvalidField("path", "the path is not valid UTF-8 text or holds a NUL character")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errs.E(errs.Invalid, "the query string is malformed; percent-encode its values and separate them with &")
	}
	for k, vs := range q {
		if err := CheckText(k, k); err != nil {
			return errs.InvalidField("", "a query parameter name is not valid UTF-8 text or holds a NUL character")
		}
		for _, v := range vs {
			if err := CheckText(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// cleanPath reports whether p is what the router would clean it to (keeping a trailing
// slash).
func cleanPath(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// Limit reads the page size ?limit= of a list route: def when absent, otherwise a whole
// number from 1 to max, or an invalid_request error naming the field.
func Limit(r *http.Request, def, max int) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, errs.InvalidField("limit", "limit must be a whole number from 1 to %d", max)
	}
	return n, nil
}
