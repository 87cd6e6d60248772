package auth_test

import (
	"bytes"
	"strings"
	"testing"

	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestEmailChangeNoEnumeration: asking to move an account to an address another account
// owns answers exactly like a free address (pending_email included), so the answer does
// not tell whether the address is registered; the owner of the address is told by email,
// no confirmation link goes anywhere, and the change can never be completed.
func TestEmailChangeNoEnumeration(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := start(t, tg, nil)
		// Two requesters alike but for their address, so their answers can be compared.
		_, free := authtest.NewUser(t, s, authtest.Email("ann@example.com"), authtest.Name("Ann"))
		_, taken := authtest.NewUser(t, s, authtest.Email("bob@example.com"), authtest.Name("Ann"))
		authtest.NewUser(t, s, authtest.Email("owner@example.com"), authtest.Name("Owen"))

		a := s.Do("PATCH", "/api/v1/me", free, map[string]any{"email": "fresh@example.com", "current_password": authtest.Password})
		b := s.Do("PATCH", "/api/v1/me", taken, map[string]any{"email": "owner@example.com", "current_password": authtest.Password})
		if a.Status != 200 || b.Status != 200 {
			t.Fatalf("status %d / %d: %s / %s", a.Status, b.Status, a.Body, b.Body)
		}
		var ma, mb meBody
		a.JSON(t, &ma)
		b.JSON(t, &mb)
		if ma.PendingEmail != "fresh@example.com" || mb.PendingEmail != "owner@example.com" {
			t.Fatalf("pending_email %q for a free address, %q for a taken one", ma.PendingEmail, mb.PendingEmail)
		}
		// Apart from the values that differ by construction, the answers are identical.
		norm := func(body []byte, m meBody, email, pending string) string {
			out := strings.ReplaceAll(string(body), m.ID, "ID")
			out = strings.ReplaceAll(out, `"`+pending+`"`, `"PENDING"`)
			return strings.ReplaceAll(out, `"`+email+`"`, `"EMAIL"`)
		}
		na, nb := norm(a.Body, ma, "ann@example.com", "fresh@example.com"), norm(b.Body, mb, "bob@example.com", "owner@example.com")
		if stripTimes(na) != stripTimes(nb) {
			t.Fatalf("answers differ:\n%s\n%s", na, nb)
		}
		if me := s.Do("GET", "/api/v1/me", taken, nil); !bytes.Contains(me.Body, []byte(`"pending_email":"owner@example.com"`)) {
			t.Fatalf("GET /me after asking for a taken address: %s", me.Body)
		}

		// The owner is told; nobody gets a link for the taken address; the requester's
		// old address gets its usual notice.
		notice := lastMail(t, s, "owner@example.com", "email_change_existing")
		if !strings.Contains(notice.Text, "Owen") || tokenInLink.MatchString(notice.Text) {
			t.Fatalf("notice to the owner: %q", notice.Text)
		}
		for _, m := range mails(t, s, "owner@example.com") {
			if m.Kind == "email_change_verify" {
				t.Fatal("a confirmation link went to another account's address")
			}
		}
		lastMail(t, s, "bob@example.com", "email_change_notice")
		lastMail(t, s, "ann@example.com", "email_change_notice")
		for _, m := range mails(t, s, "bob@example.com") {
			if tokenInLink.MatchString(m.Text) {
				t.Fatalf("the requester got a link: %s", m.Kind)
			}
		}
		// The owner signs in as before; the requester keeps the old address.
		login(t, s, "owner@example.com", authtest.Password)
		var me meBody
		s.Do("GET", "/api/v1/me", taken, nil).JSON(t, &me)
		if me.Email != "bob@example.com" {
			t.Fatalf("requester's address is %q", me.Email)
		}
	})
}

// stripTimes blanks the timestamps of a user object (two accounts made a moment apart).
func stripTimes(s string) string {
	for _, key := range []string{`"created_at":"`, `"age_confirmed_at":"`} {
		if i := strings.Index(s, key); i >= 0 {
			j := strings.IndexByte(s[i+len(key):], '"')
			s = s[:i+len(key)] + s[i+len(key)+j:]
		}
	}
	return s
}
