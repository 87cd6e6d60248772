package telegram_test

import (
	"fmt"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/telegram/tgtest"
)

// With two instances on one PostgreSQL database in polling mode, exactly one polls (the
// fake answers 409 to a second concurrent getUpdates, as Telegram does) and every message
// is answered once.
func TestOnePollerAcrossInstances(t *testing.T) {
	url := dbtest.PostgresURL()
	if url == "" {
		t.Skip("needs ALLY_TEST_POSTGRES_URL: several instances share one PostgreSQL database (SQLite runs one)")
	}
	tg := dbtest.Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: dbtest.NewSchema(t, url)}}
	h := start(t, tg, true)
	apptest.Start(t, tg, apptest.Options{Env: h.env})
	ids := linkDirect(t, h, 5, 500_000)
	for round := 0; round < 4; round++ {
		for _, id := range ids {
			h.tg.Push(h.tg.TextUpdate(tgtest.Private(id), fmt.Sprintf("round %d", round)))
		}
	}
	for _, id := range ids {
		h.waitSent(t, id, "You said: round 3")
		if n := len(h.tg.Sent(id)); n != 4 {
			t.Fatalf("chat %d got %d answers to 4 messages", id, n)
		}
	}
	for _, c := range h.tg.Calls() {
		if c.Method == "getUpdates" && c.Status == 409 {
			t.Fatal("two instances polled at once")
		}
	}
}
