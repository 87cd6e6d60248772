package changelog_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
)

// googleUser is a verified Google account as the fake provider presents it.
type googleUser struct{ sub, email string }

func (u *googleUser) ID() string { return u.sub }

func (u *googleUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub, "email": u.email})
}

func (u *googleUser) Claims(_ []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &struct {
		*mockoidc.IDTokenClaims
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}{c, u.email, true, "Gina"}, nil
}

func redirect(t *testing.T, c *http.Client, u string) *url.URL {
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

// TestGoogleSignupRecordsAcceptance: an account created through Google sign-up records
// the policy versions accepted, like a password sign-up.
func TestGoogleSignupRecordsAcceptance(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		m, err := mockoidc.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Shutdown() })
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ALLY_GOOGLE_CLIENT_ID": m.ClientID, "ALLY_GOOGLE_CLIENT_SECRET": m.ClientSecret, "ALLY_GOOGLE_ISSUER_URL": m.Issuer(),
		}})
		if _, err := s.Changelog.SavePolicy(t.Context(), "", "terms", "# Terms v1"); err != nil {
			t.Fatal(err)
		}
		m.QueueUser(&googleUser{sub: "g-1", email: "gina@example.com"})
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		back := redirect(t, c, redirect(t, c, s.URL+"/api/v1/auth/google/start").String()).Query()
		loc := redirect(t, c, s.URL+"/api/v1/auth/google/callback?"+url.Values{"code": {back.Get("code")}, "state": {back.Get("state")}}.Encode())
		if loc.Query().Get("kind") != "signup" {
			t.Fatalf("callback went to %s", loc)
		}
		body, _ := json.Marshal(map[string]any{"code": loc.Query().Get("code"), "age_confirmed": true})
		res, err := c.Post(s.URL+"/api/v1/auth/google/exchange", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("exchange: %d", res.StatusCode)
		}
		u, err := s.Auth.UserByEmail(t.Context(), "gina@example.com")
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.Changelog.Acceptances(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, a := range list {
			got[a.Document] = a.Version
		}
		if len(got) != 2 || got["privacy"] != 0 || got["terms"] != 1 {
			t.Fatalf("acceptances after Google sign-up: %v", got)
		}
	})
}
