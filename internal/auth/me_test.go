package auth_test

import (
	"testing"

	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

type meBody struct {
	ID            string
	Email         string
	Name          string
	Timezone      string
	EmailVerified bool   `json:"email_verified"`
	PendingEmail  string `json:"pending_email"`
}

// TestUpdateMe covers ACC-7 and ASVS V6.2.2 / V6.2.3 (password change needs the current
// password), V6.3.7 (notice to the old address), V7.4.3 (other sessions end on password
// change) and V2.2.1 (IANA timezone validated; bad input changes nothing).
func TestUpdateMe(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		uid, tok := authtest.NewUser(t, s, authtest.Email("ann@example.com"), authtest.Name("Ann"))
		other := authtest.Token(t, s, uid)
		authtest.NewUser(t, s, authtest.Email("taken@example.com"))

		tests := []struct {
			name   string
			body   any
			status int
			field  string
			check  func(t *testing.T, me meBody)
		}{
			{"name", map[string]any{"name": "  Ann Lee "}, 200, "", func(t *testing.T, me meBody) {
				if me.Name != "Ann Lee" {
					t.Fatalf("name %q", me.Name)
				}
			}},
			{"empty name", map[string]any{"name": " "}, 400, "name", nil},
			{"timezone", map[string]any{"timezone": "Europe/Berlin"}, 200, "", func(t *testing.T, me meBody) {
				if me.Timezone != "Europe/Berlin" {
					t.Fatalf("timezone %q", me.Timezone)
				}
			}},
			{"invalid timezone", map[string]any{"timezone": "Mars/Olympus"}, 400, "timezone", nil},
			{"timezone path trick", map[string]any{"timezone": "../../etc/passwd"}, 400, "timezone", nil},
			{"email without current password", map[string]any{"email": "new@example.com"}, 400, "current_password", nil},
			{"email with wrong current password", map[string]any{"email": "new@example.com", "current_password": "wrong password"}, 403, "current_password", nil},
			{"password without current password", map[string]any{"password": "a brand new passphrase"}, 400, "current_password", nil},
			{"common new password", map[string]any{"password": "iloveyou", "current_password": authtest.Password}, 400, "password", nil},
			{"unknown field", map[string]any{"role": "admin"}, 400, "role", nil},
			{"disposable new email", map[string]any{"email": "x@yopmail.com", "current_password": authtest.Password}, 400, "email", nil},
			{"email change", map[string]any{"email": "New@Example.com", "current_password": authtest.Password}, 200, "", func(t *testing.T, me meBody) {
				if me.Email != "ann@example.com" || me.PendingEmail != "new@example.com" {
					t.Fatalf("email %q pending %q: the address must change only once confirmed", me.Email, me.PendingEmail)
				}
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := s.Do("GET", "/api/v1/me", tok, nil)
				res := s.Do("PATCH", "/api/v1/me", tok, tt.body)
				if res.Status != tt.status {
					t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
				}
				if tt.status != 200 {
					var e struct{ Error struct{ Field string } }
					res.JSON(t, &e)
					if e.Error.Field != tt.field {
						t.Fatalf("field %q, want %q", e.Error.Field, tt.field)
					}
					if after := s.Do("GET", "/api/v1/me", tok, nil); string(after.Body) != string(before.Body) {
						t.Fatalf("a refused change changed the account: %s -> %s", before.Body, after.Body)
					}
					return
				}
				var me meBody
				res.JSON(t, &me)
				tt.check(t, me)
			})
		}

		t.Run("email change is confirmed by the new address; the old one is told", func(t *testing.T) {
			notice := lastMail(t, s, "ann@example.com", "email_change_notice")
			if notice.Text == "" {
				t.Fatal("empty notice")
			}
			link := linkToken(t, lastMail(t, s, "new@example.com", "email_change_verify"))
			if res := s.Do("POST", "/api/v1/auth/verify-email", "", map[string]any{"token": link}); res.Status != 200 {
				t.Fatalf("confirm: %d %s", res.Status, res.Body)
			}
			var me meBody
			s.Do("GET", "/api/v1/me", tok, nil).JSON(t, &me)
			if me.Email != "new@example.com" || !me.EmailVerified || me.PendingEmail != "" {
				t.Fatalf("after confirming: %+v", me)
			}
			login(t, s, "new@example.com", authtest.Password)
		})

		t.Run("a taken address gets no link and the answer is the same", func(t *testing.T) {
			res := s.Do("PATCH", "/api/v1/me", tok, map[string]any{"email": "taken@example.com", "current_password": authtest.Password})
			if res.Status != 200 {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			for _, m := range mails(t, s, "taken@example.com") {
				if m.Kind == "email_change_verify" {
					t.Fatal("a confirmation link went to another account's address")
				}
			}
		})

		t.Run("password change keeps this session and ends the others", func(t *testing.T) {
			res := s.Do("PATCH", "/api/v1/me", tok, map[string]any{"password": "a brand new passphrase", "current_password": authtest.Password})
			if res.Status != 200 {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			if s.Do("GET", "/api/v1/me", tok, nil).Status != 200 {
				t.Fatal("the session that changed the password was signed out")
			}
			if s.Do("GET", "/api/v1/me", other, nil).Status != 401 {
				t.Fatal("another session survived the password change")
			}
			lastMail(t, s, "new@example.com", "password_changed")
			login(t, s, "new@example.com", "a brand new passphrase")
		})
	})
}

// TestSessions covers ASVS V7.5.2 (users see and end their sessions) and SEC-3 (another
// user's session cannot be touched, and is reported as not found).
func TestSessions(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		uid, a := authtest.NewUser(t, s)
		b := authtest.Token(t, s, uid)
		_, mallory := authtest.NewUser(t, s)

		var list struct {
			Sessions []struct {
				ID      string
				Current bool
				IP      string
			}
		}
		s.Do("GET", "/api/v1/me/sessions", a, nil).JSON(t, &list)
		if len(list.Sessions) != 2 {
			t.Fatalf("%d sessions, want 2", len(list.Sessions))
		}
		var current, otherID string
		for _, x := range list.Sessions {
			if x.Current {
				current = x.ID
			} else {
				otherID = x.ID
			}
		}
		if current == "" || otherID == "" {
			t.Fatalf("current session not marked: %+v", list)
		}
		steps := []struct {
			name   string
			method string
			path   string
			token  string
			status int
		}{
			{"no token", "GET", "/api/v1/me/sessions", "", 401},
			{"another user's session", "DELETE", "/api/v1/me/sessions/" + otherID, mallory, 404},
			{"still alive", "GET", "/api/v1/me", b, 200},
			{"unknown id", "DELETE", "/api/v1/me/sessions/nope", a, 404},
			{"revoke the other session", "DELETE", "/api/v1/me/sessions/" + otherID, a, 204},
			{"it is signed out", "GET", "/api/v1/me", b, 401},
			{"revoking twice", "DELETE", "/api/v1/me/sessions/" + otherID, a, 404},
			{"this one lives", "GET", "/api/v1/me", a, 200},
			{"sign-ins need a token", "GET", "/api/v1/me/sign-ins", "", 401},
			{"sign-ins bad limit", "GET", "/api/v1/me/sign-ins?limit=0", a, 400},
			{"sign-ins", "GET", "/api/v1/me/sign-ins?limit=5", a, 200},
		}
		for _, st := range steps {
			if res := s.Do(st.method, st.path, st.token, nil); res.Status != st.status {
				t.Fatalf("%s: %d, want %d: %s", st.name, res.Status, st.status, res.Body)
			}
		}
		s.Do("GET", "/api/v1/me/sessions", a, nil).JSON(t, &list)
		if len(list.Sessions) != 1 || list.Sessions[0].ID != current {
			t.Fatalf("after revoking: %+v", list)
		}
	})
}
