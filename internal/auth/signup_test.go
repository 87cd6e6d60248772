package auth_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"myally.app/ally/internal/db/dbtest"
)

// TestSignup covers ASVS V6.2.1 (8+ characters), V6.2.4 (common passwords refused),
// V6.2.5 (no composition rules), V6.2.9 (at least 64 characters allowed up to bcrypt's
// 72 bytes, longer refused rather than truncated), V6.3.8 / V6.4.x (no enumeration:
// a taken address answers exactly like a new one) and V2.2.1 (input validation).
func TestSignup(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, map[string]string{"ALLY_DISPOSABLE_DOMAINS": "throwaway.example"})
		taken := "taken@example.com"
		signup(t, s, taken, "a perfectly fine passphrase")
		okBody := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": "Bo", "email": "bo@example.com", "password": "another fine passphrase", "age_confirmed": true})

		tests := []struct {
			name      string
			body      any
			status    int
			field     string
			wantInMsg string
		}{
			{"no age confirmation", map[string]any{"email": "a1@example.com", "password": "long enough pass", "age_confirmed": false}, 400, "age_confirmed", "18"},
			{"age field missing", map[string]any{"email": "a2@example.com", "password": "long enough pass"}, 400, "age_confirmed", "18"},
			{"short password", map[string]any{"email": "a3@example.com", "password": "short", "age_confirmed": true}, 400, "password", "at least 8"},
			{"73-byte password", map[string]any{"email": "a4@example.com", "password": strings.Repeat("x", 73), "age_confirmed": true}, 400, "password", "at most 72"},
			{"common password", map[string]any{"email": "a5@example.com", "password": "password", "age_confirmed": true}, 400, "password", "commonly used"},
			{"common password 12345678", map[string]any{"email": "a6@example.com", "password": "12345678", "age_confirmed": true}, 400, "password", "commonly used"},
			{"common password qwertyuiop", map[string]any{"email": "a7@example.com", "password": "qwertyuiop", "age_confirmed": true}, 400, "password", "commonly used"},
			{"bad email", map[string]any{"email": "not-an-email", "password": "long enough pass", "age_confirmed": true}, 400, "email", "not a valid"},
			{"built-in disposable domain", map[string]any{"email": "x@mailinator.com", "password": "long enough pass", "age_confirmed": true}, 400, "email", "disposable"},
			{"configured disposable domain", map[string]any{"email": "x@mail.throwaway.example", "password": "long enough pass", "age_confirmed": true}, 400, "email", "disposable"},
			{"unknown field", map[string]any{"email": "a8@example.com", "password": "long enough pass", "age_confirmed": true, "role": "admin"}, 400, "role", "unknown"},
			{"not JSON", "{", 400, "", "JSON"},
			{"72-byte password accepted", map[string]any{"email": "a9@example.com", "password": strings.Repeat("y", 72), "age_confirmed": true}, 202, "", ""},
			{"no composition rules", map[string]any{"email": "a10@example.com", "password": "all lower case words", "age_confirmed": true}, 202, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := s.Do("POST", "/api/v1/auth/signup", "", tt.body)
				if res.Status != tt.status {
					t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
				}
				if tt.status == 400 {
					var e struct {
						Error struct{ Code, Message, Field string }
					}
					res.JSON(t, &e)
					if e.Error.Field != tt.field || !strings.Contains(e.Error.Message, tt.wantInMsg) {
						t.Fatalf("error %+v, want field %q and message with %q", e.Error, tt.field, tt.wantInMsg)
					}
					if b, ok := tt.body.(map[string]any); ok {
						var n int
						_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM users WHERE email = $1`, b["email"]).Scan(&n)
						if n != 0 {
							t.Fatalf("a refused signup created an account")
						}
					}
				}
			})
		}

		t.Run("taken email answers like success and tells the owner", func(t *testing.T) {
			res := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": "Mallory", "email": "  TAKEN@example.com ", "password": "mallory's passphrase", "age_confirmed": true})
			if res.Status != okBody.Status || !bytes.Equal(res.Body, okBody.Body) {
				t.Fatalf("answer differs from a new signup: %d %s vs %d %s", res.Status, res.Body, okBody.Status, okBody.Body)
			}
			lastMail(t, s, taken, "signup_existing")
			var name string
			_ = s.DB.R.QueryRow(`SELECT name FROM users WHERE email = $1`, taken).Scan(&name)
			if name != "Ann" {
				t.Fatalf("the existing account changed: name %q", name)
			}
		})

		t.Run("age confirmation is stored with its time", func(t *testing.T) {
			var at int64
			if err := s.DB.R.QueryRow(`SELECT age_confirmed_at FROM users WHERE email = 'bo@example.com'`).Scan(&at); err != nil || at == 0 {
				t.Fatalf("age_confirmed_at not stored: %d %v", at, err)
			}
		})
	})
}

// TestSignupVelocity covers ACC-10: an IP may create only so many accounts a day.
func TestSignupVelocity(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, map[string]string{"ALLY_SIGNUPS_PER_IP_PER_DAY": "2"})
		for i, want := range []int{202, 202, 429} {
			res := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"email": "v" + string(rune('a'+i)) + "@example.com", "password": "long enough pass", "age_confirmed": true})
			if res.Status != want {
				t.Fatalf("signup %d: status %d, want %d: %s", i, res.Status, want, res.Body)
			}
			if want == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	})
}
