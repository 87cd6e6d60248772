package billing

import (
	"path/filepath"
	"testing"
	"time"

	"myally.app/ally/internal/billing/stripefake"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// FuzzWebhook delivers any correctly signed body as a Stripe event. Whatever it holds, the
// handler answers (200 for an event it applied or ignores, 400 for one it cannot read, 503
// when it must be retried, 413 when too large) without a panic, and a body it refuses
// leaves no event recorded.
func FuzzWebhook(f *testing.F) {
	d := dbtest.Open(f, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(f.TempDir(), "ally.db")}})
	e := newEnv(f, d)
	_, cus := e.user(f, 1)
	e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active", CurrentPeriodEnd: e.clock.Now().Add(720 * time.Hour)})
	for _, typ := range []string{"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"} {
		f.Add(subEvent("evt_"+typ, typ, stripefake.Sub{ID: "sub_1"}))
	}
	f.Add(invoiceEvent("evt_paid", "invoice.paid", "sub_1"))
	f.Add(invoiceEvent("evt_failed", "invoice.payment_failed", "sub_404"))
	f.Add(stripefake.Event("evt_cs", "checkout.session.completed", map[string]any{"id": "cs_1", "object": "checkout.session",
		"client_reference_id": "u1", "customer": cus, "subscription": "sub_1", "mode": "subscription"}))
	f.Add(stripefake.Event("evt_other", "charge.refunded", map[string]any{"id": "ch_1", "object": "charge"}))
	f.Add([]byte(`{"id":"evt_x","type":"customer.subscription.updated","data":{"object":{"id":7}}}`))
	f.Add([]byte(`{"id":"","type":"","data":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		before := e.count(t, `SELECT COUNT(*) FROM billing_events`)
		rec := e.post(e.svc, body, stripefake.Sign(body, testSecret, time.Now()))
		switch rec.Code {
		case 200, 400, 413, 503:
		default:
			t.Fatalf("answered %d %s", rec.Code, rec.Body)
		}
		if rec.Code != 200 && e.count(t, `SELECT COUNT(*) FROM billing_events`) != before {
			t.Fatalf("a refused event (%d) was recorded", rec.Code)
		}
	})
}
