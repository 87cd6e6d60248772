package auth_test

import (
	"strings"
	"testing"

	"myally.app/ally/internal/db/dbtest"
)

// TestSecretsNeverLogged covers PRIV-5 / SEC-5 and ASVS V16.2.5 / V14.2.x: after every
// account flow (sign-up, sign-in, verification, reset, password and email change,
// failures included) the logs hold no password, token, link or email body.
func TestSecretsNeverLogged(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		const (
			pw1 = "Zebra-Quartz-Password-One"
			pw2 = "Yak-Marble-Password-Two"
			pw3 = "Xylo-Copper-Password-Three"
		)
		secrets := []string{pw1, pw2, pw3, "Wrong-Guess-Password-Four"}
		verify := signup(t, s, "log@example.com", pw1)
		secrets = append(secrets, verify)
		s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": "log@example.com", "password": "Wrong-Guess-Password-Four"})
		s.Do("POST", "/api/v1/auth/verify-email", "", map[string]any{"token": verify})
		s.Do("POST", "/api/v1/auth/verify-email", "", map[string]any{"token": verify}) // refused reuse
		tok := login(t, s, "log@example.com", pw1)
		secrets = append(secrets, tok)
		s.Do("PATCH", "/api/v1/me", tok, map[string]any{"password": pw2, "current_password": pw1})
		s.Do("PATCH", "/api/v1/me", tok, map[string]any{"password": pw3, "current_password": "Wrong-Guess-Password-Four"})
		s.Do("PATCH", "/api/v1/me", tok, map[string]any{"email": "log2@example.com", "current_password": pw2})
		s.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"email": "log@example.com"})
		reset := linkToken(t, lastMail(t, s, "log@example.com", "password_reset"))
		secrets = append(secrets, reset, linkToken(t, lastMail(t, s, "log2@example.com", "email_change_verify")))
		s.Do("POST", "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": reset, "password": pw3})
		s.Do("GET", "/api/v1/me", tok, nil) // revoked: refused
		s.Do("GET", "/api/v1/me", "garbage."+tok, nil)
		for _, m := range mails(t, s, "") {
			secrets = append(secrets, strings.TrimSpace(m.Text), m.HTML)
			for _, line := range strings.Split(m.Text, "\n") {
				if len(line) > 40 { // whole sentences of the bodies
					secrets = append(secrets, line)
				}
			}
		}
		logs := s.Logs.String()
		if !strings.Contains(logs, "/api/v1/auth/login") {
			t.Fatal("the access log is missing; the test would prove nothing")
		}
		for _, sec := range secrets {
			if sec != "" && strings.Contains(logs, sec) {
				t.Errorf("the logs contain a secret or email body: %.40q", sec)
			}
		}
	})
}
