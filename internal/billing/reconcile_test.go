package billing

import (
	"context"
	"testing"
	"time"

	"myally.app/ally/internal/billing/stripefake"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/errs"
)

// TestPastDueGrace: a failed payment keeps the plan for the grace, shown with its end;
// after it the user is on the default plan, and the next reconciliation enforces it.
func TestPastDueGrace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		uid, cus := e.user(t, 1)
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active"})
		e.deliver(t, e.svc, checkoutEvent("evt_1", uid, cus, "sub_1"))

		failedAt := e.clock.Now()
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "past_due"})
		e.deliver(t, e.svc, invoiceEvent("evt_2", "invoice.payment_failed", "sub_1"))
		if p := e.plan(t, uid); p != "pro" {
			t.Fatalf("plan while past due = %q, want pro (within the grace)", p)
		}
		st, err := e.svc.StatusFor(ctx, uid, testPlans[1])
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != "past_due" || st.GraceEndsAt == nil || !st.GraceEndsAt.Equal(failedAt.Add(72*time.Hour)) {
			t.Fatalf("status %+v, want past_due with the grace ending 72h after the failure", st)
		}
		// A second failed-payment event during the grace does not restart it.
		e.clock.Add(48 * time.Hour)
		e.deliver(t, e.svc, invoiceEvent("evt_3", "invoice.payment_failed", "sub_1"))
		if got := e.stored(t, "sub_1").PastDueSince; !got.Equal(failedAt) {
			t.Fatalf("grace restarted at %v, want %v", got, failedAt)
		}
		e.clock.Add(25 * time.Hour)
		if p := e.plan(t, uid); p != "" {
			t.Fatalf("plan after the grace = %q, want none (the default plan)", p)
		}
		if got := e.log.get(); len(got) != 1 {
			t.Fatalf("plan hooks before reconciliation: %v", got)
		}
		if _, err := e.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.log.get(); len(got) != 2 || got[1] != "free" {
			t.Fatalf("plan hooks after the grace = %v, want [pro free]", got)
		}
		// Paying at last restores the plan.
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active"})
		e.deliver(t, e.svc, invoiceEvent("evt_4", "invoice.paid", "sub_1"))
		if p := e.plan(t, uid); p != "pro" {
			t.Fatalf("plan after paying = %q, want pro", p)
		}
		if !e.stored(t, "sub_1").PastDueSince.IsZero() {
			t.Fatal("past_due_since kept after payment")
		}
	})
}

// TestReconcileRepairsMissedEvent: a subscription whose webhook never arrived is applied
// by the reconciliation; one Ally does not know is left alone.
func TestReconcileRepairsMissedEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		uid, cus := e.user(t, 1)
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active"})
		e.fake.SetSub(stripefake.Sub{ID: "sub_stranger", Customer: "cus_elsewhere", Price: proPrice, Status: "active"})
		if p := e.plan(t, uid); p != "" {
			t.Fatalf("plan before any event = %q", p)
		}
		n, err := e.svc.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || e.plan(t, uid) != "pro" {
			t.Fatalf("reconciled %d, plan %q; want 1 and pro", n, e.plan(t, uid))
		}
		if c := e.count(t, `SELECT COUNT(*) FROM billing_subscriptions`); c != 1 {
			t.Fatalf("%d subscriptions stored, want only the customer's", c)
		}
		// A cancellation whose event was lost is repaired too.
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "canceled"})
		if _, err := e.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if p := e.plan(t, uid); p != "" {
			t.Fatalf("plan after a missed cancellation = %q, want none", p)
		}
		if got := e.log.get(); len(got) != 2 || got[1] != "free" {
			t.Fatalf("plan hooks = %v, want [pro free]", got)
		}
		// Event ids older than the retention are pruned.
		if _, err := d.Exec(ctx, `INSERT INTO billing_events (id, type, received_at) VALUES ('evt_old', 'x', $1)`,
			db.Millis(e.clock.Now().Add(-31*24*time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if c := e.count(t, `SELECT COUNT(*) FROM billing_events WHERE id = 'evt_old'`); c != 0 {
			t.Fatal("an event id past the retention was kept")
		}
	})
}

// TestCancelAtPeriodEnd: the deletion's job asks Stripe to end the subscription at the
// period's end, keeps the plan until then, and copes with one Stripe already ended.
func TestCancelAtPeriodEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		uid, cus := e.user(t, 1)
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active"})
		e.deliver(t, e.svc, checkoutEvent("evt_1", uid, cus, "sub_1"))
		if err := e.svc.CancelAtPeriodEnd(ctx, "sub_1"); err != nil {
			t.Fatal(err)
		}
		if s, _ := e.fake.Sub("sub_1"); !s.CancelAtPeriodEnd {
			t.Fatal("Stripe was not asked to cancel at period end")
		}
		if st := e.stored(t, "sub_1"); !st.CancelAtPeriodEnd || e.plan(t, uid) != "pro" {
			t.Fatalf("stored %+v plan %q; want cancel_at_period_end and pro until the end", st, e.plan(t, uid))
		}
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "canceled"})
		if err := e.svc.CancelAtPeriodEnd(ctx, "sub_1"); err != nil {
			t.Fatalf("cancelling an ended subscription: %v", err)
		}
		if st := e.stored(t, "sub_1"); st.Status != "canceled" {
			t.Fatalf("stored status %q, want canceled", st.Status)
		}
	})
}

// TestCheckoutRefusedWhileSubscribed: a user whose subscription still exists, even past
// the grace of a failed payment, is sent to the Portal instead of paying twice.
func TestCheckoutRefusedWhileSubscribed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		uid, cus := e.user(t, 1)
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "past_due"})
		e.deliver(t, e.svc, invoiceEvent("evt_1", "invoice.payment_failed", "sub_1"))
		e.clock.Add(100 * time.Hour)
		if p := e.plan(t, uid); p != "" {
			t.Fatalf("plan past the grace = %q", p)
		}
		_, err := e.svc.Checkout(context.Background(), uid, "pro")
		if errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("checkout with a past-due subscription: %v, want a conflict", err)
		}
		if n := e.fake.Calls("POST /v1/checkout/sessions"); n != 0 {
			t.Fatalf("%d checkout sessions created", n)
		}
		// Once it ended, a new checkout is possible.
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "canceled"})
		e.deliver(t, e.svc, subEvent("evt_2", "customer.subscription.deleted", stripefake.Sub{ID: "sub_1"}))
		url, err := e.svc.Checkout(context.Background(), uid, "pro")
		if err != nil || url == "" {
			t.Fatalf("checkout after the subscription ended: %q %v", url, err)
		}
		if n := e.fake.Calls("POST /v1/customers"); n != 0 {
			t.Fatalf("the stored customer was not reused: %d created", n)
		}
	})
}
