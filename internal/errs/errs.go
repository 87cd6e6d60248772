// Package errs defines the one error type Ally uses to carry a machine-readable code and a
// message that is safe to show to a client. Internal causes are wrapped and logged, never
// shown.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies an error; the HTTP layer maps each code to a status in one place.
type Code string

// The error codes clients can see.
const (
	Invalid         Code = "invalid_request"
	Unauthenticated Code = "unauthenticated"
	Forbidden       Code = "forbidden"
	// AccountDeleted refuses a sign-in to an account deleted but still recoverable.
	AccountDeleted Code = "account_deleted"
	NotFound       Code = "not_found"
	Conflict       Code = "conflict"
	TooLarge       Code = "too_large"
	RateLimited    Code = "rate_limited"
	QuotaExceeded  Code = "quota_exceeded"
	// TaskLimit refuses a scheduled task beyond the plan's active tasks.
	TaskLimit   Code = "task_limit"
	Unavailable Code = "unavailable"
	NoProvider  Code = "no_provider"
	Internal    Code = "internal"
)

// Error is an application error: Code and Message are for clients, Err is the cause for logs.
type Error struct {
	Code    Code
	Message string
	// Field names the input field at fault, if any.
	Field string
	// Details carries extra machine-readable data for the client (e.g. reset_at).
	Details map[string]any
	Err     error
}

// Error implements error. It includes the cause, so it is for logs, not clients.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an error with a code and a client-safe message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an error with a code and client-safe message around a cause.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// InvalidField reports bad input in one named field.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf reports a missing resource. Resources owned by someone else are reported the
// same way, so ids cannot be probed.
func NotFoundf(format string, args ...any) *Error {
	return E(NotFound, format, args...)
}

// CodeOf returns the code of err, or Internal when err carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	return err != nil && CodeOf(err) == code
}

// As returns err's *Error, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
