package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/mail"
)

type userBody struct {
	User struct {
		ID, Email, Status string
		Verified          bool
		TokensTotal       int64 `json:"tokens_total"`
		MessagesTotal     int64 `json:"messages_total"`
	}
}

// TestAdminManagesAccounts: search and paging, suspend and unsuspend, resend
// verification, deletion with a reason (the user's own deletion: signed out, emailed,
// recorded in the audit log, purged after the window along with the audit rows naming
// the account), and the refusals: unknown id, empty reason, one's own account.
func TestAdminManagesAccounts(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s := apptest.Start(t, tg, apptest.Options{})
		adminID, adm := authtest.NewUser(t, s, authtest.Admin())

		for i := range 5 {
			authtest.NewUser(t, s, authtest.Email(fmt.Sprintf("findme-%d@example.com", i)))

		}
		target, targetTok := authtest.NewUser(t, s, authtest.Email("reported@example.com"), authtest.Name("Reported Person"))
		seedUsage(t, s, target, "2026-11-30", 3, 1200)

		// Search by email, paged two at a time.
		var seen []string
		cursor := ""
		for range 5 {
			var page struct {
				Users []struct{ ID, Email string }
				Next  string
			}
			must(t, get(s, "/api/v1/admin/users?q=FINDME&limit=2&cursor="+cursor, adm), 200, "search").JSON(t, &page)
			for _, u := range page.Users {
				seen = append(seen, u.ID)
				if !strings.HasPrefix(u.Email, "findme-") {
					t.Fatalf("search found %s", u.Email)
				}
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if len(seen) != 5 {
			t.Fatalf("paged search saw %d accounts, want 5", len(seen))
		}
		// Search by name; a wildcard in the query is literal.
		var byName struct{ Users []struct{ ID string } }
		must(t, get(s, "/api/v1/admin/users?q=reported%20pers", adm), 200, "by name").JSON(t, &byName)
		if len(byName.Users) != 1 || byName.Users[0].ID != target {
			t.Fatalf("search by name: %+v", byName.Users)
		}
		must(t, get(s, "/api/v1/admin/users?q=%25", adm), 200, "literal %").JSON(t, &byName)
		if len(byName.Users) != 0 {
			t.Fatalf("%% matched %d accounts", len(byName.Users))
		}
		var one userBody
		must(t, get(s, "/api/v1/admin/users/"+target, adm), 200, "one").JSON(t, &one)
		if one.User.Email != "reported@example.com" || one.User.TokensTotal != 1200 || one.User.Status != "active" {
			t.Fatalf("user: %+v", one.User)
		}

		// Bad input, nothing changed.
		for _, c := range []struct {
			method, path string
			body         any
			status       int
			field        string
		}{
			{"GET", "/api/v1/admin/users/nope", nil, 404, ""},
			{"POST", "/api/v1/admin/users/nope/suspend", nil, 404, ""},
			{"POST", "/api/v1/admin/users/nope/delete", map[string]string{"reason": "x"}, 404, ""},
			{"POST", "/api/v1/admin/users/" + target + "/delete", map[string]string{"reason": "  "}, 400, "reason"},
			{"POST", "/api/v1/admin/users/" + target + "/delete", map[string]string{}, 400, "reason"},
			{"POST", "/api/v1/admin/users/" + target + "/delete", map[string]string{"reason": strings.Repeat("a", 501)}, 400, "reason"},
			{"POST", "/api/v1/admin/users/" + adminID + "/delete", map[string]string{"reason": "me"}, 400, "id"},
			{"POST", "/api/v1/admin/users/" + adminID + "/suspend", nil, 400, "id"},
			{"POST", "/api/v1/admin/users/" + target + "/unsuspend", nil, 409, ""},
			{"POST", "/api/v1/admin/users/" + target + "/resend-verification", nil, 409, ""},
			{"GET", "/api/v1/admin/users?cursor=zzz", nil, 400, "cursor"},
			{"GET", "/api/v1/admin/analytics?from=2026-13-01", nil, 400, "from"},
			{"GET", "/api/v1/admin/analytics?from=2026-12-02&to=2026-12-01", nil, 400, "from"},
			{"GET", "/api/v1/admin/analytics?from=2024-01-01&to=2026-01-01", nil, 400, "to"},
			{"GET", "/api/v1/admin/outbox?to=not-an-address", nil, 400, "to"},
			{"GET", "/api/v1/admin/audit?cursor=!!", nil, 400, "cursor"},
		} {
			res := s.Do(c.method, c.path, adm, c.body)
			if res.Status != c.status || !contains(res.Body, `"field":"`+c.field+`"`) && c.field != "" {
				t.Errorf("%s %s: %d %s, want %d field %q", c.method, c.path, res.Status, res.Body, c.status, c.field)
			}
		}
		must(t, get(s, "/api/v1/me", targetTok), 200, "target unchanged")

		// Suspend signs out at once; unsuspend lets the account sign in again.
		must(t, s.Do("POST", "/api/v1/admin/users/"+target+"/suspend", adm, map[string]string{"reason": "spam"}), 200, "suspend").JSON(t, &one)
		if one.User.Status != "suspended" {
			t.Fatalf("after suspend: %s", one.User.Status)
		}
		must(t, get(s, "/api/v1/me", targetTok), 401, "suspended session")
		must(t, s.Do("POST", "/api/v1/admin/users/"+target+"/unsuspend", adm, nil), 200, "unsuspend")

		// Resend verification to an unverified account: a verify_email is queued.
		unverified, _ := authtest.NewUser(t, s, authtest.Unverified(), authtest.Email("late@example.com"))
		must(t, s.Do("POST", "/api/v1/admin/users/"+unverified+"/resend-verification", adm, nil), 202, "resend")
		waitMail(t, s, "late@example.com", "verify_email")

		// Delete with a reason.
		targetTok = authtest.Token(t, s, target)
		var del struct {
			User       struct{ Status string }
			PurgeAfter time.Time `json:"purge_after"`
		}
		must(t, s.Do("POST", "/api/v1/admin/users/"+target+"/delete", adm, map[string]string{"reason": "reported as under 18"}), 200, "delete").JSON(t, &del)
		if del.User.Status != "deleted" || del.PurgeAfter.Before(time.Now().Add(s.Config.DeletionGrace-time.Hour)) {
			t.Fatalf("delete: %+v", del)
		}
		must(t, get(s, "/api/v1/me", targetTok), 401, "deleted session")
		must(t, s.Do("POST", "/api/v1/admin/users/"+target+"/delete", adm, map[string]string{"reason": "again"}), 409, "delete twice")
		m := waitMail(t, s, "reported@example.com", "account_deleted_by_operator")
		if !strings.Contains(m.Text, "reported as under 18") || !strings.Contains(m.HTML, "reported as under 18") {
			t.Fatalf("the email does not give the reason: %s", m.Text)
		}
		// The outbox shows that notice's body to admins.
		var ob struct {
			Messages []struct {
				Kind, Text string
				BodyHidden bool `json:"body_hidden"`
			}
		}
		must(t, get(s, "/api/v1/admin/outbox?to=reported@example.com", adm), 200, "outbox").JSON(t, &ob)
		if len(ob.Messages) != 1 || ob.Messages[0].BodyHidden || !strings.Contains(ob.Messages[0].Text, "under 18") {
			t.Fatalf("outbox: %+v", ob.Messages)
		}
		must(t, get(s, "/api/v1/admin/outbox?to=late@example.com", adm), 200, "outbox").JSON(t, &ob)
		if len(ob.Messages) != 1 || !ob.Messages[0].BodyHidden || ob.Messages[0].Text != "" {
			t.Fatalf("a verification link shows in the outbox: %+v", ob.Messages)
		}

		// The audit log has every action, newest first.
		var audit struct {
			Entries []struct {
				ActorID  string `json:"actor_id"`
				Action   string
				TargetID string `json:"target_id"`
				Details  map[string]any
			}
		}
		must(t, get(s, "/api/v1/admin/audit", adm), 200, "audit").JSON(t, &audit)
		var actions []string
		for _, e := range audit.Entries {
			actions = append(actions, e.Action)
			if e.ActorID != adminID {
				t.Fatalf("audit actor %s", e.ActorID)
			}
		}
		if got := strings.Join(actions, ","); got != "user.delete,user.resend_verification,user.unsuspend,user.suspend" {
			t.Fatalf("audit actions: %s", got)
		}
		if audit.Entries[0].Details["reason"] != "reported as under 18" || audit.Entries[0].TargetID != target {
			t.Fatalf("audit entry: %+v", audit.Entries[0])
		}

		// After the window the account is purged, and with it the audit rows naming it.
		s.Privacy.SetClock(func() time.Time { return time.Now().Add(s.Config.DeletionGrace + time.Minute) })
		if _, _, err := s.Privacy.RunAll(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM admin_audit WHERE target_id = $1 OR actor_id = $1`, target).Scan(&n); err != nil || n != 0 {
			t.Fatalf("audit rows naming the purged account: %d, %v", n, err)
		}
		must(t, get(s, "/api/v1/admin/users/"+target, adm), 404, "purged")
	})
}

// TestAuditRetention: entries older than 12 months go with `ally retention run`; newer
// ones stay.
func TestAuditRetention(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s := apptest.Start(t, tg, apptest.Options{})
		adminID, _ := authtest.NewUser(t, s, authtest.Admin())
		if err := s.Admin.RecordAudit(ctx, adminID, "test.old", "user", "x", nil); err != nil {
			t.Fatal(err)
		}
		exec(t, s, `UPDATE admin_audit SET created_at = $1`, db.Millis(time.Now().AddDate(-1, 0, -2)))
		if err := s.Admin.RecordAudit(ctx, adminID, "test.new", "user", "y", map[string]any{"reason": "r"}); err != nil {
			t.Fatal(err)
		}
		_, rows, err := s.Privacy.RunAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rows["admin_audit"] != 1 {
			t.Fatalf("retention deleted %d audit rows, want 1", rows["admin_audit"])
		}
		var actions []string
		r, err := s.DB.R.QueryContext(ctx, `SELECT action FROM admin_audit`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for r.Next() {
			var a string
			_ = r.Scan(&a)
			actions = append(actions, a)
		}
		if strings.Join(actions, ",") != "test.new" {
			t.Fatalf("left: %v", actions)
		}
	})
}

// waitMail waits until the job queue delivered (or at least stored) a mail of kind to addr.
func waitMail(t *testing.T, s *apptest.Server, addr, kind string) mail.Stored {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := mail.List(context.Background(), s.DB, mail.Filter{To: addr})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Kind == kind {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s mail to %s", kind, addr)
	return mail.Stored{}
}
