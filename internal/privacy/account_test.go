package privacy_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// mails returns the kinds of email queued for the user, oldest first.
func mails(t *testing.T, s *apptest.Server, userID string) []string {
	t.Helper()
	rows, err := s.DB.R.QueryContext(context.Background(), `SELECT kind FROM mail_outbox WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestDeleteNeedsReauthentication: deletion needs the current password or a Google
// sign-in of the last ten minutes; a refused request changes nothing.
func TestDeleteNeedsReauthentication(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		uid, tok := authtest.NewUser(t, s)
		tests := []struct {
			name   string
			body   any
			status int
		}{
			{"wrong password", map[string]string{"password": "not the password"}, http.StatusBadRequest},
			{"no password, password session", map[string]string{}, http.StatusForbidden},
			{"unknown field", map[string]string{"passwort": authtest.Password}, http.StatusBadRequest},
			{"not JSON", "delete me", http.StatusBadRequest},
		}
		for _, tt := range tests {
			res := s.Do("POST", "/api/v1/me/delete", tok, tt.body)
			if res.Status != tt.status {
				t.Fatalf("%s: %d %s, want %d", tt.name, res.Status, res.Body, tt.status)
			}
		}
		if res := s.Do("GET", "/api/v1/me", tok, nil); res.Status != http.StatusOK {
			t.Fatalf("a refused deletion disabled the account: %d", res.Status)
		}
		if res := s.Do("POST", "/api/v1/me/delete", "", map[string]string{"password": authtest.Password}); res.Status != http.StatusUnauthorized {
			t.Fatalf("deletion without a session: %d", res.Status)
		}

		// A Google sign-in stands in for the password for ten minutes.
		g, err := s.Auth.IssueSession(context.Background(), uid, auth.MethodGoogle, auth.Client{IP: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		s.Privacy.SetClock(func() time.Time { return time.Now().Add(11 * time.Minute) })
		if res := s.Do("POST", "/api/v1/me/delete", g.Token, map[string]string{}); res.Status != http.StatusForbidden {
			t.Fatalf("Google sign-in 11 minutes old: %d %s", res.Status, res.Body)
		}
		s.Privacy.SetClock(time.Now)
		if res := s.Do("POST", "/api/v1/me/delete", g.Token, map[string]string{}); res.Status != http.StatusOK {
			t.Fatalf("fresh Google sign-in: %d %s", res.Status, res.Body)
		}
	})
}

// TestDeleteAndRecover: deleting disables the account at once (every session revoked,
// sign-in refused) and emails a confirmation; within the grace the user recovers it with
// their credentials and finds everything as it was; after the grace recovery is refused
// and the account is purged.
func TestDeleteAndRecover(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		email := "leaving@example.com"
		uid, tok := authtest.NewUser(t, s, authtest.Email(email))
		second := authtest.Token(t, s, uid)
		var hooked []string
		s.Privacy.OnRecover(func(ctx context.Context, _ *sql.Tx, userID string) error {
			hooked = append(hooked, "recover:"+userID)
			return nil
		})

		res := s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password})
		if res.Status != http.StatusOK {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		var del struct {
			Status           string    `json:"status"`
			RecoverableUntil time.Time `json:"recoverable_until"`
		}
		res.JSON(t, &del)
		if del.Status != "deleted" || time.Until(del.RecoverableUntil) < s.Config.DeletionGrace-time.Minute {
			t.Fatalf("delete answered %+v", del)
		}
		for _, tk := range []string{tok, second} {
			if res := s.Do("GET", "/api/v1/me", tk, nil); res.Status != http.StatusUnauthorized {
				t.Fatalf("a session survived the deletion: %d", res.Status)
			}
		}
		// Signing in says the account can still be recovered, and until when.
		res = s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": authtest.Password})
		var refused struct {
			Error struct {
				Code    string `json:"code"`
				Details struct {
					RecoverableUntil time.Time `json:"recoverable_until"`
				} `json:"details"`
			} `json:"error"`
		}
		res.JSON(t, &refused)
		if res.Status != http.StatusForbidden || refused.Error.Code != "account_deleted" || !refused.Error.Details.RecoverableUntil.Equal(del.RecoverableUntil) {
			t.Fatalf("sign-in of a deleted account: %d %s, want account_deleted until %s", res.Status, res.Body, del.RecoverableUntil)
		}
		// A wrong password learns nothing about the deletion.
		if res := s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "not the password"}); res.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password on a deleted account: %d %s", res.Status, res.Body)
		}
		if got := mails(t, s, uid); !contains(got, "account_deletion_scheduled") {
			t.Fatalf("no deletion email queued: %v", got)
		}

		// Recovery needs the right credentials.
		for _, body := range []map[string]string{
			{"email": email, "password": "wrong password"},
			{"email": "nobody@example.com", "password": authtest.Password},
		} {
			if res := s.Do("POST", "/api/v1/me/recover", "", body); res.Status != http.StatusUnauthorized {
				t.Fatalf("recover with %v: %d %s", body, res.Status, res.Body)
			}
		}
		if res := s.Do("POST", "/api/v1/me/recover", "", map[string]string{"email": email}); res.Status != http.StatusBadRequest {
			t.Fatalf("recover without password: %d", res.Status)
		}
		// The recovery screen first previews, which changes nothing.
		res = s.Do("POST", "/api/v1/me/recover", "", map[string]any{"email": email, "password": authtest.Password, "preview": true})
		var preview struct {
			Status           string    `json:"status"`
			RecoverableUntil time.Time `json:"recoverable_until"`
		}
		res.JSON(t, &preview)
		if res.Status != http.StatusOK || preview.Status != "deleted" || !preview.RecoverableUntil.Equal(del.RecoverableUntil) {
			t.Fatalf("preview: %d %s, want recoverable until %s", res.Status, res.Body, del.RecoverableUntil)
		}
		if res := s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": authtest.Password}); res.Status != http.StatusForbidden {
			t.Fatalf("a preview recovered the account: %d", res.Status)
		}
		res = s.Do("POST", "/api/v1/me/recover", "", map[string]string{"email": " Leaving@Example.com ", "password": authtest.Password})
		if res.Status != http.StatusOK {
			t.Fatalf("recover: %d %s", res.Status, res.Body)
		}
		var rec struct {
			Token string    `json:"token"`
			User  auth.User `json:"user"`
		}
		res.JSON(t, &rec)
		if rec.User.ID != uid || rec.Token == "" {
			t.Fatalf("recover answered %s", res.Body)
		}
		if res := s.Do("GET", "/api/v1/me", rec.Token, nil); res.Status != http.StatusOK {
			t.Fatalf("recovered account unusable: %d", res.Status)
		}
		// The recovery is a sign-in like any other, in the history.
		var history struct {
			SignIns []auth.SignIn `json:"sign_ins"`
		}
		s.Do("GET", "/api/v1/me/sign-ins", rec.Token, nil).JSON(t, &history)
		if len(history.SignIns) == 0 || !history.SignIns[0].Success {
			t.Fatalf("recovery missing from sign-in history: %+v", history.SignIns)
		}
		if len(hooked) != 1 || hooked[0] != "recover:"+uid {
			t.Fatalf("recovery hooks ran %v", hooked)
		}
		if got := mails(t, s, uid); !contains(got, "account_recovered") {
			t.Fatalf("no recovery email queued: %v", got)
		}
		if res := s.Do("POST", "/api/v1/me/recover", "", map[string]string{"email": email, "password": authtest.Password}); res.Status != http.StatusConflict {
			t.Fatalf("recover an active account: %d", res.Status)
		}
		// Recovery time passes: nothing is purged.
		s.Privacy.SetClock(func() time.Time { return time.Now().Add(2 * s.Config.DeletionGrace) })
		if n, err := s.Privacy.PurgeDue(context.Background()); err != nil || n != 0 {
			t.Fatalf("purge of a recovered account: %d %v", n, err)
		}
		s.Privacy.SetClock(time.Now)

		// Deleted again, and this time the grace ends.
		if res := s.Do("POST", "/api/v1/me/delete", rec.Token, map[string]string{"password": authtest.Password}); res.Status != http.StatusOK {
			t.Fatalf("second delete: %d %s", res.Status, res.Body)
		}
		s.Privacy.SetClock(func() time.Time { return time.Now().Add(s.Config.DeletionGrace + time.Second) })
		if res := s.Do("POST", "/api/v1/me/recover", "", map[string]string{"email": email, "password": authtest.Password}); res.Status != http.StatusForbidden {
			t.Fatalf("recover after the grace: %d %s", res.Status, res.Body)
		}
		if n, err := s.Privacy.PurgeDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("purge after the grace: %d %v", n, err)
		}
		var n int
		if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM users WHERE id = $1`, uid).Scan(&n); err != nil || n != 0 {
			t.Fatalf("users row after the purge: %d %v", n, err)
		}
		if res := s.Do("POST", "/api/v1/me/recover", "", map[string]string{"email": email, "password": authtest.Password}); res.Status != http.StatusUnauthorized {
			t.Fatalf("recover a purged account: %d", res.Status)
		}
	})
}

// TestDeletionHooksRunInTheTransaction: a failing deletion hook leaves the account as it
// was; the hooks of a successful deletion see the user.
func TestDeletionHooksRunInTheTransaction(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		uid, tok := authtest.NewUser(t, s)
		fail := true
		var seen string
		s.Privacy.OnDelete(func(ctx context.Context, tx *sql.Tx, userID string) error {
			if fail {
				return errors.New("hook failed")
			}
			return tx.QueryRowContext(ctx, `SELECT status FROM users WHERE id = $1`, userID).Scan(&seen)
		})
		if res := s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}); res.Status != http.StatusInternalServerError {
			t.Fatalf("delete with a failing hook: %d", res.Status)
		}
		if res := s.Do("GET", "/api/v1/me", tok, nil); res.Status != http.StatusOK {
			t.Fatalf("failed deletion left the account disabled: %d", res.Status)
		}
		fail = false
		if res := s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}); res.Status != http.StatusOK {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if seen != "deleted" {
			t.Fatalf("hook saw status %q for %s", seen, uid)
		}
	})
}
