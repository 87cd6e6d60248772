package auth_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestLogin covers ASVS V6.3.8 (same answer for unknown account and wrong password),
// V7.2.4 (a new session token at each sign-in), V6.1.1 / V6.3.1 (rate limits per account
// with Retry-After) and ACC-2 (unverified users may sign in).
func TestLogin(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		const pw = "a perfectly fine passphrase"
		signup(t, s, "ann@example.com", pw)
		_, _ = authtest.NewUser(t, s, authtest.Email("sus@example.com"))
		if _, err := s.Auth.Suspend(context.Background(), "sus@example.com"); err != nil {
			t.Fatal(err)
		}

		wrong := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "ann@example.com", "password": "not the password"})
		tests := []struct {
			name   string
			body   any
			status int
			code   string
		}{
			{"right password, unverified address", map[string]any{"email": "ann@example.com", "password": pw}, 200, ""},
			{"address in other case", map[string]any{"email": "ANN@example.com ", "password": pw}, 200, ""},
			{"wrong password", map[string]any{"email": "ann@example.com", "password": "not the password"}, 401, "unauthenticated"},
			{"unknown address", map[string]any{"email": "nobody@example.com", "password": "not the password"}, 401, "unauthenticated"},
			{"password over 72 bytes", map[string]any{"email": "ann@example.com", "password": pw + string(bytes.Repeat([]byte("x"), 60))}, 401, "unauthenticated"},
			{"empty", map[string]any{"email": "", "password": ""}, 400, "invalid_request"},
			{"suspended account", map[string]any{"email": "sus@example.com", "password": authtest.Password}, 403, "forbidden"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := s.Do("POST", "/api/v1/auth/login", "", tt.body)
				if res.Status != tt.status || res.ErrorCode() != tt.code {
					t.Fatalf("got %d %q, want %d %q: %s", res.Status, res.ErrorCode(), tt.status, tt.code, res.Body)
				}
				if tt.status == 200 {
					var out struct {
						Token     string
						ExpiresAt string `json:"expires_at"`
						User      struct {
							Email         string
							EmailVerified bool `json:"email_verified"`
						}
					}
					res.JSON(t, &out)
					if out.Token == "" || out.ExpiresAt == "" || out.User.Email != "ann@example.com" || out.User.EmailVerified {
						t.Fatalf("unexpected login answer %s", res.Body)
					}
					claims := jwt.MapClaims{}
					tok, _, err := jwt.NewParser().ParseUnverified(out.Token, claims)
					if err != nil || tok.Header["alg"] != "HS256" || claims["typ"] != "session" || claims["sid"] == "" {
						t.Fatalf("token %v %v %v", tok.Header, claims, err)
					}
					if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 7*24*3600 {
						t.Fatalf("exp - iat = %v s, want 7 days", exp-iat)
					}
					if me := s.Do("GET", "/api/v1/me", out.Token, nil); me.Status != 200 {
						t.Fatalf("the new token does not work: %d", me.Status)
					}
				}
				if tt.name == "unknown address" && !bytes.Equal(res.Body, wrong.Body) {
					t.Fatalf("unknown address answered differently from a wrong password: %s vs %s", res.Body, wrong.Body)
				}
			})
		}

		t.Run("failed and successful sign-ins are in the history", func(t *testing.T) {
			tok := login(t, s, "ann@example.com", pw)
			res := s.Do("GET", "/api/v1/me/sign-ins", tok, nil)
			var out struct {
				SignIns []struct {
					Method    string
					Success   bool
					IP        string
					UserAgent string `json:"user_agent"`
				} `json:"sign_ins"`
			}
			res.JSON(t, &out)
			var ok, failed int
			for _, x := range out.SignIns {
				if x.Method != "password" || x.IP != "127.0.0.1" || x.UserAgent == "" {
					t.Fatalf("bad entry %+v", x)
				}
				if x.Success {
					ok++
				} else {
					failed++
				}
			}
			if ok < 3 || failed < 2 {
				t.Fatalf("history has %d successes and %d failures: %s", ok, failed, res.Body)
			}
		})
	})
}

// TestLoginRateLimitPerEmail covers ASVS V6.3.1 / ACC-6: guessing one account's password
// is stopped after 10 tries in 15 minutes, with 429 and Retry-After; others are unaffected.
func TestLoginRateLimitPerEmail(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		authtest.NewUser(t, s, authtest.Email("victim@example.com"))
		for i := range 10 {
			if res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "victim@example.com", "password": "guess " + strconv.Itoa(i)}); res.Status != 401 {
				t.Fatalf("attempt %d: %d", i, res.Status)
			}
		}
		res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "victim@example.com", "password": authtest.Password})
		if res.Status != http.StatusTooManyRequests || res.ErrorCode() != "rate_limited" {
			t.Fatalf("11th attempt: %d %s", res.Status, res.Body)
		}
		if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 900 {
			t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
		}
		authtest.NewUser(t, s, authtest.Email("other@example.com"))
		login(t, s, "other@example.com", authtest.Password)
	})
}

// TestLogout covers ASVS V7.4.1 / V7.4.3 / V7.5.x: logout revokes the token at once,
// logout-all every session, and one session can be revoked from the list, never another
// user's.
func TestLogout(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		uid, a := authtest.NewUser(t, s)
		b := authtest.Token(t, s, uid)
		c := authtest.Token(t, s, uid)
		_, other := authtest.NewUser(t, s)

		if res := s.Do("POST", "/api/v1/auth/logout", a, nil); res.Status != 204 {
			t.Fatalf("logout: %d", res.Status)
		}
		steps := []struct {
			name   string
			method string
			path   string
			token  string
			status int
		}{
			{"revoked token refused", "GET", "/api/v1/me", a, 401},
			{"logout again refused", "POST", "/api/v1/auth/logout", a, 401},
			{"other sessions live", "GET", "/api/v1/me", b, 200},
			{"logout without token", "POST", "/api/v1/auth/logout", "", 401},
			{"logout-all", "POST", "/api/v1/auth/logout-all", b, 204},
			{"b revoked by logout-all", "GET", "/api/v1/me", b, 401},
			{"c revoked by logout-all", "GET", "/api/v1/me", c, 401},
			{"another user unaffected", "GET", "/api/v1/me", other, 200},
		}
		for _, st := range steps {
			if res := s.Do(st.method, st.path, st.token, nil); res.Status != st.status {
				t.Fatalf("%s: %d, want %d: %s", st.name, res.Status, st.status, res.Body)
			}
		}
	})
}
