// Package httpx holds Ally's HTTP plumbing: JSON responses and errors, request decoding,
// middleware, the SSE writer, client IP resolution and the server's timeouts.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"myally.app/ally/internal/errs"
)

// JSON writes v as a JSON response with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// NoContent writes 204.
func NoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// Decode reads a JSON request body into v. Unknown fields, trailing data, a wrong content
// type and bodies over the server's limit are refused with a clear invalid_request error,
// and so is text that is not valid UTF-8 or holds a NUL (in any string, key or value,
// named by its path as the field), before v is touched.
func Decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errs.E(errs.Invalid, "send the body as application/json")
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errs.E(errs.TooLarge, "request body is larger than %d bytes", tooBig.Limit)
		}
		return errs.Wrap(err, errs.Invalid, "request body could not be read")
	}
	if err := checkJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return errs.E(errs.Invalid, "request body is empty; send a JSON object")
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return errs.E(errs.Invalid, "request body is not valid JSON")
		case errors.As(err, &typ):
			return errs.InvalidField(typ.Field, "field %q must be a %s", typ.Field, typ.Type.String())
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return errs.InvalidField(field, "unknown field %q", field)
		default:
			return errs.Wrap(err, errs.Invalid, "request body could not be read")
		}
	}
	if dec.More() {
		return errs.E(errs.Invalid, "request body has data after the JSON object")
	}
	return nil
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an error response.
type ErrorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Field   string         `json:"field,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

// Status maps an error code to its HTTP status; this is the only such mapping.
func Status(code errs.Code) int {
	switch code {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden, errs.AccountDeleted:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict, errs.TaskLimit:
		return http.StatusConflict
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.RateLimited, errs.QuotaExceeded:
		return http.StatusTooManyRequests
	case errs.Unavailable, errs.NoProvider:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Error writes err as a JSON error response. Errors without a code are internal: the client
// sees "internal error" and the cause goes to the log, with the request id.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := errs.As(err)
	if !ok || e.Code == errs.Internal {
		Logger(r.Context()).Error("request failed", "error", err)
		JSON(w, http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: string(errs.Internal), Message: "internal error"}})
		return
	}
	if e.Err != nil {
		Logger(r.Context()).Debug("request refused", "code", string(e.Code), "error", e.Err)
	}
	if ra, ok := e.Details["retry_after_seconds"]; ok {
		w.Header().Set("Retry-After", fmt.Sprint(ra))
	}
	JSON(w, Status(e.Code), ErrorBody{Error: ErrorDetail{Code: string(e.Code), Message: e.Message, Field: e.Field, Details: e.Details}})
}

// ErrorCode writes an error response from a code and message.
func ErrorCode(w http.ResponseWriter, r *http.Request, code errs.Code, msg string) {
	Error(w, r, errs.E(code, "%s", msg))
}

// RetryAfter returns details announcing when a refused request may be retried: a whole
// number of seconds, at least 1.
func RetryAfter(seconds int) map[string]any {
	return map[string]any{"retry_after_seconds": max(1, seconds)}
}
