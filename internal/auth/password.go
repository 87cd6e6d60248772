package auth

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"myally.app/ally/internal/errs"
)

// Password length bounds in bytes: bcrypt reads at most 72, and a longer password is
// refused rather than silently truncated.
const (
	minPasswordBytes = 8
	maxPasswordBytes = 72
)

//go:embed common_passwords.txt
var commonPasswordsText []byte

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 10000)
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordsText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			m[strings.ToLower(w)] = struct{}{}
		}
	}
	return m
})

// checkPassword applies the password rules: length only, plus a refusal of the most
// common passwords (no composition rules).
func checkPassword(field, pw string) error {
	switch {
	case len(pw) < minPasswordBytes:
		return errs.InvalidField(field, "password must be at least %d characters", minPasswordBytes)
	case len(pw) > maxPasswordBytes:
		return errs.InvalidField(field, "password must be at most %d bytes (about %d letters; fewer with accents or emoji)", maxPasswordBytes, maxPasswordBytes)
	}
	if _, common := commonPasswords()[strings.ToLower(pw)]; common {
		return errs.InvalidField(field, "this password is one of the most commonly used and easy to guess; choose another")
	}
	return nil
}

// hashPassword checks and hashes a new password.
func (s *Service) hashPassword(pw string) (string, error) {
	if err := checkPassword("password", pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cfg.BcryptCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// passwordMatches compares pw with a stored hash; an empty hash never matches but costs the
// same time.
func (s *Service) passwordMatches(hash, pw string) bool {
	if hash == "" || len(pw) > maxPasswordBytes {
		if h, err := dummyHashFor(s.cfg.BcryptCost); err == nil {
			_ = bcrypt.CompareHashAndPassword(h, []byte(pw))
		}
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	return err == nil
}

var dummyHashes sync.Map // cost -> []byte

func dummyHashFor(cost int) ([]byte, error) {
	// A hash of a fixed string at the configured cost: compared against when no account
	// matches, so a login for an unknown email takes as long as one for a known email.
	if h, ok := dummyHashes.Load(cost); ok {
		return h.([]byte), nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte("not a real password, only for timing"), cost)
	if err != nil {
		return nil, err
	}
	dummyHashes.Store(cost, h)
	return h, nil
}
