package billing

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"myally.app/ally/internal/billing/stripefake"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

func benchEnv(b *testing.B) *env {
	tg := dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(b.TempDir(), "ally.db")}}
	if url := dbtest.PostgresURL(); url != "" {
		tg = dbtest.Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: dbtest.NewSchema(b, url)}}
	}
	return newEnv(b, dbtest.Open(b, tg))
}

// BenchmarkWebhook is one verified event end to end: signature check, the re-read of the
// subscription from the fake Stripe over loopback HTTP, and the transaction that records
// the event and stores the state (go test -bench Webhook ./internal/billing/).
func BenchmarkWebhook(b *testing.B) {
	full := benchEnv(b)
	uid, cus := full.user(b, 1)
	full.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active"})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = checkoutEvent(fmt.Sprintf("evt_%d", i), uid, cus, "sub_1")
	}
	b.ResetTimer()
	for i := range b.N {
		rec := full.post(full.svc, bodies[i], stripefake.Sign(bodies[i], testSecret, time.Now()))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkSubscribedPlan is what every limit check now adds: reading the user's
// subscriptions (go test -bench SubscribedPlan ./internal/billing/).
func BenchmarkSubscribedPlan(b *testing.B) {
	full := benchEnv(b)
	uid, cus := full.user(b, 1)
	full.fake.SetSub(stripefake.Sub{ID: "sub_1", Customer: cus, Price: proPrice, Status: "active"})
	body := checkoutEvent("evt_1", uid, cus, "sub_1")
	full.post(full.svc, body, stripefake.Sign(body, testSecret, time.Now()))
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if p, err := full.svc.SubscribedPlan(ctx, uid); err != nil || p != "pro" {
			b.Fatalf("%q %v", p, err)
		}
	}
}
