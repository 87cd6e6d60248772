package auth_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// googleUser is a Google account as the fake provider presents it; aud and expired
// forge bad ID tokens.
type googleUser struct {
	sub, email, name, picture string
	verified                  bool
	aud                       string
	expired                   bool
}

func (u *googleUser) ID() string { return u.sub }

func (u *googleUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub, "email": u.email})
}

func (u *googleUser) Claims(_ []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.aud != "" {
		c.Audience = jwt.ClaimStrings{u.aud}
	}
	if u.expired {
		c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
		c.NotBefore = c.IssuedAt
		c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
	}
	return &struct {
		*mockoidc.IDTokenClaims
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
		Picture       string `json:"picture"`
	}{c, u.email, u.verified, u.name, u.picture}, nil
}

// browser is a cookie-keeping client that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func location(t *testing.T, c *http.Client, u string) *url.URL {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: %d, want a redirect", u, res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// googleRound runs the browser side of a sign-in: start, the provider, the callback. tamper
// may change the provider URL; code, if set, replaces the provider's code. It returns the
// provider's code and where the callback sent the browser.
func googleRound(t *testing.T, s *apptest.Server, c *http.Client, tamper func(q url.Values), code string) (string, *url.URL) {
	t.Helper()
	auth := location(t, c, s.URL+"/api/v1/auth/google/start")
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("start lacks PKCE, nonce or state: %s", auth)
	}
	if tamper != nil {
		tamper(q)
		auth.RawQuery = q.Encode()
	}
	back := location(t, c, auth.String()).Query()
	if code == "" {
		code = back.Get("code")
	}
	cb := url.Values{"code": {code}, "state": {back.Get("state")}}
	return back.Get("code"), location(t, c, s.URL+"/api/v1/auth/google/callback?"+cb.Encode())
}

// TestGoogleSignIn covers ACC-5 and ASVS V10.1.1 / V10.1.2 (PKCE; state and nonce bound to
// the browser and checked), V10.5.x (ID token signature, issuer, audience, expiry and
// email_verified checked; identities keyed by issuer and subject; linking only on a
// verified address) and V7.2.4 (a fresh session per sign-in).
func TestGoogleSignIn(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		m, err := mockoidc.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Shutdown() })
		s := start(t, tg, map[string]string{
			"ALLY_GOOGLE_CLIENT_ID": m.ClientID, "ALLY_GOOGLE_CLIENT_SECRET": m.ClientSecret, "ALLY_GOOGLE_ISSUER_URL": m.Issuer(),
		})
		var p struct{ Google bool }
		s.Do("GET", "/api/v1/auth/providers", "", nil).JSON(t, &p)
		if !p.Google {
			t.Fatal("providers does not list Google")
		}
		existingID, squatter := authtest.NewUser(t, s, authtest.Email("linked@example.com"), authtest.Unverified())
		verifiedID, _ := authtest.NewUser(t, s, authtest.Email("owner@example.com"))

		// exchange posts the one-time code from the browser that went through the sign-in.
		exchange := func(c *http.Client, code string, age bool) *apptest.Response {
			t.Helper()
			body, _ := json.Marshal(map[string]any{"code": code, "age_confirmed": age})
			res, err := c.Post(s.URL+"/api/v1/auth/google/exchange", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			return &apptest.Response{Status: res.StatusCode, Header: res.Header, Body: raw}
		}
		refused := func(t *testing.T, loc *url.URL, want string) {
			t.Helper()
			if loc.Path != "/login" || loc.Query().Get("error") != want {
				t.Fatalf("callback went to %s, want /login?error=%s", loc, want)
			}
		}

		t.Run("new account asks for 18+, then signs in", func(t *testing.T) {
			m.QueueUser(&googleUser{sub: "g-1", email: "Gina@Example.com", name: "Gina", picture: "https://pics.example/g.png", verified: true})
			c := browser(t)
			_, loc := googleRound(t, s, c, nil, "")
			if loc.Path != "/auth/google" || loc.Query().Get("kind") != "signup" || loc.Query().Get("token") != "" {
				t.Fatalf("callback went to %s", loc)
			}
			code := loc.Query().Get("code")
			if res := exchange(c, code, false); res.Status != 400 || res.ErrorCode() != "invalid_request" {
				t.Fatalf("without 18+: %d %s", res.Status, res.Body)
			}
			if res := exchange(browser(t), code, true); res.Status != 400 {
				t.Fatalf("the code worked in another browser: %d %s", res.Status, res.Body)
			}
			res := exchange(c, code, true)
			if res.Status != 200 {
				t.Fatalf("exchange: %d %s", res.Status, res.Body)
			}
			var out struct {
				Token string
				User  struct {
					Email         string
					EmailVerified bool   `json:"email_verified"`
					PictureURL    string `json:"picture_url"`
					Name          string
				}
			}
			res.JSON(t, &out)
			if out.User.Email != "gina@example.com" || !out.User.EmailVerified || out.User.Name != "Gina" {
				t.Fatalf("user %+v", out.User)
			}
			var me struct {
				PictureURL string `json:"picture_url"`
			}
			s.Do("GET", "/api/v1/me", out.Token, nil).JSON(t, &me)
			if me.PictureURL != "https://pics.example/g.png" {
				t.Fatalf("picture %q", me.PictureURL)
			}
			var issuer, subject string
			if err := s.DB.R.QueryRow(`SELECT issuer, subject FROM identities WHERE email = 'gina@example.com'`).Scan(&issuer, &subject); err != nil || issuer != m.Issuer() || subject != "g-1" {
				t.Fatalf("identity (%q, %q) %v", issuer, subject, err)
			}
			if res := exchange(c, code, true); res.Status != 400 {
				t.Fatalf("a used code worked again: %d", res.Status)
			}
			// The next sign-in finds the identity, even with a changed address at Google.
			m.QueueUser(&googleUser{sub: "g-1", email: "gina.new@example.com", verified: true})
			c = browser(t)
			_, loc = googleRound(t, s, c, nil, "")
			if loc.Query().Get("kind") != "login" {
				t.Fatalf("second sign-in: %s", loc)
			}
			if res := exchange(c, loc.Query().Get("code"), false); res.Status != 200 {
				t.Fatalf("second exchange: %d %s", res.Status, res.Body)
			}
		})

		t.Run("links an existing account on a verified address", func(t *testing.T) {
			m.QueueUser(&googleUser{sub: "g-2", email: "linked@example.com", verified: true})
			c := browser(t)
			_, loc := googleRound(t, s, c, nil, "")
			if loc.Query().Get("kind") != "login" {
				t.Fatalf("callback went to %s", loc)
			}
			res := exchange(c, loc.Query().Get("code"), false)
			var out struct{ User struct{ ID string } }
			res.JSON(t, &out)
			if res.Status != 200 || out.User.ID != existingID {
				t.Fatalf("signed in to %q, want %q: %s", out.User.ID, existingID, res.Body)
			}
			// The address had never been proved: the password and sessions set before
			// the owner proved it through Google are gone (no pre-registration takeover).
			if s.Do("GET", "/api/v1/me", squatter, nil).Status != 401 {
				t.Fatal("a session of the unproven account survived the link")
			}
			if s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "linked@example.com", "password": authtest.Password}).Status != 401 {
				t.Fatal("the unproven account's password still works")
			}
		})

		t.Run("linking a verified account keeps its password", func(t *testing.T) {
			m.QueueUser(&googleUser{sub: "g-9", email: "owner@example.com", verified: true})
			c := browser(t)
			_, loc := googleRound(t, s, c, nil, "")
			var out struct{ User struct{ ID string } }
			exchange(c, loc.Query().Get("code"), false).JSON(t, &out)
			if out.User.ID != verifiedID {
				t.Fatalf("signed in to %q, want %q", out.User.ID, verifiedID)
			}
			login(t, s, "owner@example.com", authtest.Password)
		})

		refusals := []struct {
			name   string
			user   *googleUser
			tamper func(url.Values)
			want   string
		}{
			{"unverified email", &googleUser{sub: "g-3", email: "linked@example.com", verified: false}, nil, "google_email_unverified"},
			{"wrong nonce", &googleUser{sub: "g-4", email: "n@example.com", verified: true}, func(q url.Values) { q.Set("nonce", "forged-nonce") }, "google_failed"},
			{"wrong audience", &googleUser{sub: "g-5", email: "a@example.com", verified: true, aud: "another-client"}, nil, "google_failed"},
			{"expired id token", &googleUser{sub: "g-6", email: "e@example.com", verified: true, expired: true}, nil, "google_failed"},
			{"PKCE challenge swapped", &googleUser{sub: "g-7", email: "p@example.com", verified: true}, func(q url.Values) { q.Set("code_challenge", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") }, "google_failed"},
		}
		for _, tt := range refusals {
			t.Run(tt.name, func(t *testing.T) {
				m.QueueUser(tt.user)
				_, loc := googleRound(t, s, browser(t), tt.tamper, "")
				refused(t, loc, tt.want)
				var n int
				_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM identities WHERE subject = $1`, tt.user.sub).Scan(&n)
				if n != 0 {
					t.Fatal("a refused sign-in stored an identity")
				}
			})
		}

		t.Run("reused code", func(t *testing.T) {
			m.QueueUser(&googleUser{sub: "g-8", email: "r@example.com", verified: true})
			code, loc := googleRound(t, s, browser(t), nil, "")
			if loc.Query().Get("kind") != "signup" {
				t.Fatalf("first use: %s", loc)
			}
			_, loc = googleRound(t, s, browser(t), nil, code)
			refused(t, loc, "google_failed")
			if strings.Contains(s.Logs.String(), code) {
				t.Fatal("the authorization code reached the logs")
			}
		})

		t.Run("state from another browser", func(t *testing.T) {
			c := browser(t)
			auth := location(t, c, s.URL+"/api/v1/auth/google/start")
			back := location(t, c, auth.String()).Query()
			cb := s.URL + "/api/v1/auth/google/callback?" + url.Values{"code": {back.Get("code")}, "state": {back.Get("state")}}.Encode()
			refused(t, location(t, browser(t), cb), "google_state")
			// The state was spent by the attempt: the right browser cannot use it either.
			refused(t, location(t, c, cb), "google_state")
		})
	})
}

// TestGoogleDisabled: without a client id the routes say so.
func TestGoogleDisabled(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		if res := s.Do("GET", "/api/v1/auth/google/start", "", nil); res.Status != 404 {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		var p struct{ Password, Google bool }
		s.Do("GET", "/api/v1/auth/providers", "", nil).JSON(t, &p)
		if !p.Password || p.Google {
			t.Fatalf("providers %+v", p)
		}
	})
}
