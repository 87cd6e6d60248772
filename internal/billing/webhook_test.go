package billing

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/billing/stripefake"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// TestWebhookSignature: only a body signed with the endpoint's secret within five
// minutes is applied; every other request answers 400 (413 when too large) and changes
// nothing.
func TestWebhookSignature(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		uid, cus := e.user(t, 1)
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active", CurrentPeriodEnd: e.clock.Now().Add(720 * time.Hour)})
		body := subEvent("evt_1", "customer.subscription.updated", stripefake.Sub{ID: "sub_1"})
		now := time.Now()
		big := stripefake.Event("evt_big", "customer.subscription.updated", map[string]any{"id": "sub_1", "object": "subscription",
			"description": strings.Repeat("x", MaxWebhookBytes)})
		cases := []struct {
			name   string
			body   []byte
			sig    string
			status int
		}{
			{"missing signature", body, "", http.StatusBadRequest},
			{"tampered body", []byte(strings.Replace(string(body), "sub_1", "sub_2", 1)), stripefake.Sign(body, testSecret, now), http.StatusBadRequest},
			{"wrong secret", body, stripefake.Sign(body, "whsec_other", now), http.StatusBadRequest},
			{"rolled secret", body, stripefake.Sign(body, testSecret+"_old", now), http.StatusBadRequest},
			{"stale timestamp", body, stripefake.Sign(body, testSecret, now.Add(-6*time.Minute)), http.StatusBadRequest},
			{"garbage header", body, "t=abc,v1=zz", http.StatusBadRequest},
			{"not JSON", []byte("not json"), stripefake.Sign([]byte("not json"), testSecret, now), http.StatusBadRequest},
			{"over 64 KiB", big, stripefake.Sign(big, testSecret, now), http.StatusRequestEntityTooLarge},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rec := e.post(e.svc, c.body, c.sig)
				if rec.Code != c.status || !strings.Contains(rec.Body.String(), `"error"`) {
					t.Fatalf("got %d %s, want %d with an error body", rec.Code, rec.Body, c.status)
				}
				if n := e.count(t, `SELECT COUNT(*) FROM billing_subscriptions`); n != 0 {
					t.Fatalf("a refused webhook stored %d subscriptions", n)
				}
				if n := e.count(t, `SELECT COUNT(*) FROM billing_events`); n != 0 {
					t.Fatalf("a refused webhook recorded %d events", n)
				}
				if e.fake.Calls("GET /v1/subscriptions/{id}") != 0 {
					t.Fatal("a refused webhook called Stripe")
				}
			})
		}
		t.Run("valid", func(t *testing.T) {
			e.deliver(t, e.svc, body)
			if p := e.plan(t, uid); p != "pro" {
				t.Fatalf("plan after a valid event = %q, want pro", p)
			}
			if got := e.log.get(); len(got) != 1 || got[0] != "pro" {
				t.Fatalf("plan hooks = %v, want [pro]", got)
			}
		})
	})
}

// TestWebhookReplay: the same event delivered three times is applied once.
func TestWebhookReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		uid, cus := e.user(t, 1)
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active"})
		body := checkoutEvent("evt_1", uid, cus, "sub_1")
		for range 3 {
			e.deliver(t, e.svc, body)
		}
		// Stripe changes the subscription later; the replayed old event must not re-read it.
		e.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "canceled"})
		e.deliver(t, e.svc, body)
		if n := e.count(t, `SELECT COUNT(*) FROM billing_events WHERE id = 'evt_1'`); n != 1 {
			t.Fatalf("event recorded %d times", n)
		}
		if n := e.fake.Calls("GET /v1/subscriptions/{id}"); n != 1 {
			t.Fatalf("replays fetched the subscription %d times, want 1", n)
		}
		if got := e.log.get(); len(got) != 1 {
			t.Fatalf("plan hooks ran %d times: %v", len(got), got)
		}
		if p := e.plan(t, uid); p != "pro" {
			t.Fatalf("plan = %q, want pro (the replay changed it)", p)
		}
	})
}

// TestEveryDeliveryOrder: five events about one subscription whose payloads disagree
// (stale states) end in the same plan and state in all 120 orders, because the state
// comes from Stripe, not from the event.
func TestEveryDeliveryOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		end := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		for i, order := range permutations(5) {
			uid, cus := e.user(t, i)
			sub := "sub_" + uid
			e.fake.SetSub(stripefake.Sub{ID: sub, Customer: cus, Price: proPrice, Status: "active", CurrentPeriodEnd: end})
			events := [][]byte{
				checkoutEvent("evt_a_"+uid, uid, cus, sub),
				subEvent("evt_b_"+uid, "customer.subscription.created", stripefake.Sub{ID: sub, Customer: cus, Price: proPrice, Status: "incomplete"}),
				invoiceEvent("evt_c_"+uid, "invoice.payment_failed", sub),
				subEvent("evt_d_"+uid, "customer.subscription.updated", stripefake.Sub{ID: sub, Customer: cus, Price: proPrice, Status: "past_due"}),
				invoiceEvent("evt_e_"+uid, "invoice.paid", sub),
			}
			before := len(e.log.get())
			for _, k := range order {
				e.deliver(t, e.svc, events[k])
			}
			st := e.stored(t, sub)
			if st.Status != "active" || st.Price != proPrice || !st.CurrentPeriodEnd.Equal(end) || !st.PastDueSince.IsZero() || st.UserID != uid {
				t.Fatalf("order %v: stored %+v", order, st)
			}
			if p := e.plan(t, uid); p != "pro" {
				t.Fatalf("order %v: plan %q", order, p)
			}
			if got := e.log.get()[before:]; len(got) != 1 || got[0] != "pro" {
				t.Fatalf("order %v: plan hooks %v, want one change to pro", order, got)
			}
		}
		if n := e.count(t, `SELECT COUNT(*) FROM billing_events`); n != 600 {
			t.Fatalf("%d events recorded, want 600", n)
		}
	})
}

func permutations(n int) [][]int {
	var out [][]int
	var rec func(p []int, used []bool)
	rec = func(p []int, used []bool) {
		if len(p) == n {
			out = append(out, append([]int(nil), p...))
			return
		}
		for i := range n {
			if !used[i] {
				used[i] = true
				rec(append(p, i), used)
				used[i] = false
			}
		}
	}
	rec(nil, make([]bool, n))
	return out
}

// TestTwoInstancesOneEvent: two instances receiving the same event at the same moment
// apply it once.
func TestTwoInstancesOneEvent(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		d1 := dbtest.Open(t, tg)
		d2, err := db.Open(context.Background(), tg.Options)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d2.Close() })
		e := newEnv(t, d1)
		other := e.service(d2)
		for i := range 10 {
			uid, cus := e.user(t, i)
			sub := "sub_" + uid
			e.fake.SetSub(stripefake.Sub{ID: sub, Customer: cus, Price: proPrice, Status: "active"})
			body := checkoutEvent("evt_"+uid, uid, cus, sub)
			sig := stripefake.Sign(body, testSecret, time.Now())
			before := len(e.log.get())
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for k, s := range []*Service{e.svc, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[k] = e.post(s, body, sig).Code
				}()
			}
			wg.Wait()
			if codes[0] != http.StatusOK || codes[1] != http.StatusOK {
				t.Fatalf("answers %v, want both 200", codes)
			}
			if got := e.log.get()[before:]; len(got) != 1 {
				t.Fatalf("event applied %d times: %v", len(got), got)
			}
		}
	})
}

// TestUnknownSubscription: an event about a subscription Stripe does not know (another
// account's, a deleted test object) is acknowledged, so Stripe stops retrying, and
// changes nothing.
func TestUnknownSubscription(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.user(t, 1)
		e.deliver(t, e.svc, subEvent("evt_x", "customer.subscription.updated", stripefake.Sub{ID: "sub_missing"}))
		if n := e.count(t, `SELECT COUNT(*) FROM billing_subscriptions`) + e.count(t, `SELECT COUNT(*) FROM billing_events`); n != 0 {
			t.Fatalf("an unknown subscription left %d rows", n)
		}
		// An event kind billing does not handle is acknowledged without a Stripe call.
		e.deliver(t, e.svc, stripefake.Event("evt_y", "customer.created", map[string]any{"id": "cus_9", "object": "customer"}))
		if n := e.fake.Calls("GET /v1/subscriptions/{id}"); n != 1 {
			t.Fatalf("%d Stripe reads, want 1 (the unknown subscription only)", n)
		}
	})
}
