package auth_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestPasswordReset covers ACC-4 and ASVS V6.4.1 / V6.4.2 / V7.4.3: the same answer for
// unknown addresses, a single-use link valid for one hour, every session revoked, the old
// password dead and the new one working.
func TestPasswordReset(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		clk := withClock(s)
		_, session := authtest.NewUser(t, s, authtest.Email("ann@example.com"))

		known := s.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"email": "ann@example.com"})
		unknown := s.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"email": "nobody@example.com"})
		if known.Status != http.StatusAccepted || unknown.Status != known.Status || !bytes.Equal(known.Body, unknown.Body) {
			t.Fatalf("answers differ: %d %s vs %d %s", known.Status, known.Body, unknown.Status, unknown.Body)
		}
		if n := len(mails(t, s, "nobody@example.com")); n != 0 {
			t.Fatalf("%d emails to an unknown address", n)
		}
		tok := linkToken(t, lastMail(t, s, "ann@example.com", "password_reset"))

		steps := []struct {
			name   string
			method string
			path   string
			bearer string
			body   any
			status int
		}{
			{"reset token is no bearer token", "GET", "/api/v1/me", tok, nil, 401},
			{"reset token cannot verify an address", "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": tok}, 400},
			{"weak new password refused", "POST", "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": tok, "password": "password1"}, 400},
			{"bad email refused", "POST", "/api/v1/auth/password-reset", "", map[string]any{"email": "nope"}, 400},
			{"confirm", "POST", "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": tok, "password": "a brand new passphrase"}, 200},
			{"reuse refused", "POST", "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": tok, "password": "yet another passphrase"}, 400},
			{"sessions revoked", "GET", "/api/v1/me", session, nil, 401},
			{"old password dead", "POST", "/api/v1/auth/login", "", map[string]any{"email": "ann@example.com", "password": authtest.Password}, 401},
			{"new password works", "POST", "/api/v1/auth/login", "", map[string]any{"email": "ann@example.com", "password": "a brand new passphrase"}, 200},
		}
		for _, st := range steps {
			if res := s.Do(st.method, st.path, st.bearer, st.body); res.Status != st.status {
				t.Fatalf("%s: %d, want %d: %s", st.name, res.Status, st.status, res.Body)
			}
		}

		t.Run("link expires after an hour", func(t *testing.T) {
			s.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"email": "ann@example.com"})
			tok := linkToken(t, lastMail(t, s, "ann@example.com", "password_reset"))
			clk.Advance(61 * time.Minute)
			if res := s.Do("POST", "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": tok, "password": "too late passphrase"}); res.Status != 400 {
				t.Fatalf("an expired link worked: %d", res.Status)
			}
		})

		t.Run("rate limited per address", func(t *testing.T) {
			var status int
			for range 4 {
				status = s.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"email": "someone@example.com"}).Status
			}
			if status != http.StatusTooManyRequests {
				t.Fatalf("4th reset request in an hour: %d", status)
			}
		})
	})
}
