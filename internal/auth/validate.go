package auth

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/errs"
)

// validateEmail returns the normalized address or a clear error.
func validateEmail(raw string) (string, error) {
	e := NormalizeEmail(raw)
	if e == "" {
		return "", errs.InvalidField("email", "Enter your email address.")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", errs.InvalidField("email", "%q is not a valid email address", truncate(raw, 80))
	}
	return e, nil
}

// validateName trims a display name; an empty one defaults to the address's local part.
func validateName(raw, email string) (string, error) {
	n := strings.TrimSpace(raw)
	if n == "" {
		n, _, _ = strings.Cut(email, "@")
	}
	if utf8.RuneCountInString(n) > 100 {
		return "", errs.InvalidField("name", "name must be at most 100 characters")
	}
	if !utf8.ValidString(n) || strings.ContainsAny(n, "\x00\r\n") {
		return "", errs.InvalidField("name", "name contains characters that are not allowed")
	}
	return n, nil
}

// validateTimezone accepts IANA zone names such as Europe/Berlin.
func validateTimezone(tz string) (string, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" || tz == "Local" || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		return "", errs.InvalidField("timezone", "timezone must be an IANA name such as Europe/Berlin")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "", errs.InvalidField("timezone", "%q is not an IANA timezone name (for example Europe/Berlin)", truncate(tz, 60))
	}
	return tz, nil
}
