package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Kind classifies a provider error by what the router should do about it.
type Kind uint8

// The error kinds.
const (
	// KindTransient: connection failures, timeouts, 408, 409, 429, 5xx, 529 and
	// overloaded_error events mid-stream. Retried, then the next provider is tried.
	KindTransient Kind = iota + 1
	// KindAuth: the provider refused our credentials (401, 403). Not retried; the next
	// provider is tried, since this one cannot serve anything.
	KindAuth
	// KindInvalid: the provider refused the request itself (400, 404, 422). Surfaced.
	KindInvalid
	// KindContextTooLong: the prompt does not fit the model's context window. Surfaced.
	KindContextTooLong
	// KindCanceled: the caller's context ended. Surfaced.
	KindCanceled
)

var kindNames = [...]string{"", "transient", "auth", "invalid", "context_too_long", "canceled"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Error is a classified provider error. Its text names the provider, the status and the
// provider's error type, never request content.
type Error struct {
	Provider string
	Kind     Kind
	// Status is the HTTP status, 0 for connection errors and mid-stream error events.
	Status int
	// Type is the provider's error type, e.g. "overloaded_error" or "RESOURCE_EXHAUSTED".
	Type string
	// RetryAfter is the wait the provider asked for (retry-after), 0 if none.
	RetryAfter time.Duration
	// Err is the underlying SDK or network error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (status %d)", e.Status)
	}
	if e.Type != "" {
		b.WriteString(" ")
		b.WriteString(e.Type)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same request may succeed if sent again.
func (e *Error) Retryable() bool { return e.Kind == KindTransient }

// KindOf returns the kind of err, or 0 if err is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// TimeoutError reports that the router gave up waiting for a provider.
type TimeoutError struct {
	// Phase is "connect", "first_token" or "idle".
	Phase string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no %s within %s", strings.ReplaceAll(e.Phase, "_", " "), e.After)
}

// Timeout marks the error as a timeout for net-style checks.
func (e *TimeoutError) Timeout() bool { return true }

// kindForStatus maps an HTTP status to a kind. message is the provider's error text,
// consulted only to recognise an over-long prompt.
func kindForStatus(status int, errType, message string) Kind {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusConflict,
		status == http.StatusTooManyRequests, status >= 500:
		return KindTransient
	case status == http.StatusUnauthorized, status == http.StatusForbidden,
		status == http.StatusPaymentRequired:
		return KindAuth
	case status == http.StatusRequestEntityTooLarge, isContextTooLong(errType, message):
		return KindContextTooLong
	default:
		return KindInvalid
	}
}

// isContextTooLong recognises each provider's wording for a prompt over the context
// window, since none of them has a dedicated status.
func isContextTooLong(errType, message string) bool {
	if errType == "context_length_exceeded" || errType == "request_too_large" {
		return true
	}
	m := strings.ToLower(message)
	for _, s := range []string{"prompt is too long", "context length", "context_length", "context window", "maximum number of tokens", "too many tokens", "input is too long"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// classifyTransport classifies an error that is not an API error: the caller's context
// ending, a watchdog timeout, or a network failure.
func classifyTransport(ctx context.Context, provider string, err error) *Error {
	if cause := context.Cause(ctx); cause != nil {
		var te *TimeoutError
		if errors.As(cause, &te) {
			return &Error{Provider: provider, Kind: KindTransient, Type: "timeout", Err: te}
		}
		return &Error{Provider: provider, Kind: KindCanceled, Err: cause}
	}
	e := &Error{Provider: provider, Kind: KindTransient, Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &ne):
		e.Type = "connection"
	}
	return e
}

// parseRetryAfter reads retry-after-ms or retry-after (seconds or an HTTP date).
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
