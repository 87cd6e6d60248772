package auth_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestVerifyEmail covers ACC-2 and ASVS V6.4.1 / V9.2.2: the link is single-use, expires
// after 24 hours, is refused at any other endpoint and is never a session token.
func TestVerifyEmail(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		clk := withClock(s)
		tok := signup(t, s, "ann@example.com", "a perfectly fine passphrase")
		late := signup(t, s, "late@example.com", "a perfectly fine passphrase")
		session := login(t, s, "ann@example.com", "a perfectly fine passphrase")

		steps := []struct {
			name   string
			method string
			path   string
			bearer string
			body   any
			status int
		}{
			{"verification token is no bearer token", "GET", "/api/v1/me", tok, nil, 401},
			{"verification token cannot reset a password", "POST", "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": tok, "password": "brand new passphrase"}, 400},
			{"bogus token", "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": "bogus"}, 400},
			{"empty token", "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": ""}, 400},
			{"verify", "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": tok}, 200},
			{"reuse refused", "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": tok}, 400},
		}
		for _, st := range steps {
			if res := s.Do(st.method, st.path, st.bearer, st.body); res.Status != st.status {
				t.Fatalf("%s: %d, want %d: %s", st.name, res.Status, st.status, res.Body)
			}
		}
		var me struct {
			EmailVerified bool `json:"email_verified"`
		}
		s.Do("GET", "/api/v1/me", session, nil).JSON(t, &me)
		if !me.EmailVerified {
			t.Fatal("address not verified after the link was used")
		}

		clk.Advance(24*time.Hour + time.Minute)
		if res := s.Do("POST", "/api/v1/auth/verify-email", "", map[string]any{"token": late}); res.Status != 400 {
			t.Fatalf("a 24-hour-old link worked: %d", res.Status)
		}
	})
}

// TestResend covers ACC-2 / ACC-4: the answer is the same for unknown, verified and
// unverified addresses; only the unverified owner gets a new link, and only the newest
// link works.
func TestResend(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		old := signup(t, s, "ann@example.com", "a perfectly fine passphrase")
		authtest.NewUser(t, s, authtest.Email("done@example.com"))

		var first []byte
		for _, email := range []string{"ann@example.com", "nobody@example.com", "done@example.com"} {
			res := s.Do("POST", "/api/v1/auth/verify-email/resend", "", map[string]any{"email": email})
			if res.Status != http.StatusAccepted {
				t.Fatalf("%s: %d %s", email, res.Status, res.Body)
			}
			if first == nil {
				first = res.Body
			} else if !bytes.Equal(first, res.Body) {
				t.Fatalf("answers differ: %s vs %s", first, res.Body)
			}
		}
		if n := len(mails(t, s, "nobody@example.com")) + len(mails(t, s, "done@example.com")); n != 0 {
			t.Fatalf("%d emails to addresses that need no link", n)
		}
		fresh := linkToken(t, lastMail(t, s, "ann@example.com", "verify_email"))
		if fresh == old {
			t.Fatal("resend sent the old link")
		}
		if res := s.Do("POST", "/api/v1/auth/verify-email", "", map[string]any{"token": old}); res.Status != 400 {
			t.Fatalf("the superseded link still works: %d", res.Status)
		}
		if res := s.Do("POST", "/api/v1/auth/verify-email", "", map[string]any{"token": fresh}); res.Status != 200 {
			t.Fatalf("the new link: %d %s", res.Status, res.Body)
		}

		t.Run("signed in, without an address", func(t *testing.T) {
			signup(t, s, "bo@example.com", "a perfectly fine passphrase")
			tok := login(t, s, "bo@example.com", "a perfectly fine passphrase")
			before := len(mails(t, s, "bo@example.com"))
			if res := s.Do("POST", "/api/v1/auth/verify-email/resend", tok, map[string]any{}); res.Status != 202 {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			if len(mails(t, s, "bo@example.com")) != before+1 {
				t.Fatal("no new link for the signed-in user")
			}
		})

		t.Run("rate limited per address", func(t *testing.T) {
			var last *int
			for range 4 {
				res := s.Do("POST", "/api/v1/auth/verify-email/resend", "", map[string]any{"email": "limit@example.com"})
				last = &res.Status
			}
			if *last != http.StatusTooManyRequests {
				t.Fatalf("4th resend in an hour: %d", *last)
			}
		})
	})
}

// TestRequireVerified covers ACC-2: unverified users are refused by features that need a
// verified address, with a clear code, unless the operator turned the rule off.
func TestRequireVerified(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		for _, tc := range []struct {
			setting          string
			unverifiedStatus int
		}{{"true", 403}, {"false", 200}} {
			s := start(t, tg, map[string]string{"ALLY_REQUIRE_VERIFIED_EMAIL": tc.setting})
			h := httptest.NewServer(s.Auth.RequireVerified(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := auth.FromContext(r.Context())
				w.Write([]byte(p.UserID))
			})))
			defer h.Close()
			vid, verified := authtest.NewUser(t, s)
			_, unverified := authtest.NewUser(t, s, authtest.Unverified())
			for _, c := range []struct {
				token  string
				status int
				code   string
				body   string
			}{{verified, 200, "", vid}, {unverified, tc.unverifiedStatus, map[bool]string{true: "email_not_verified", false: ""}[tc.unverifiedStatus == 403], ""}, {"", 401, "unauthenticated", ""}} {
				req, _ := http.NewRequest("GET", h.URL, nil)
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				buf.ReadFrom(res.Body)
				res.Body.Close()
				if res.StatusCode != c.status || (c.code != "" && !bytes.Contains(buf.Bytes(), []byte(`"code":"`+c.code+`"`))) || (c.body != "" && buf.String() != c.body) {
					t.Fatalf("setting %s: got %d %s, want %d %s", tc.setting, res.StatusCode, buf.String(), c.status, c.code)
				}
			}
		}
	})
}
