package telegram_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/telegram/tgtest"
)

// BenchmarkWebhook1000Chats: 1,000 linked chats each send one message by webhook at once
// (8 in flight). It reports the webhook's answer time (p50, p99: it acknowledges after
// storing the update, the reply runs in the background), the time from the post to the
// first visible text in the chat (p50, p99, under Telegram's 30 messages a second per
// bot), Bot API calls per reply (typing, drafts, final message) and lost updates (chats
// with no final answer; must be 0).
//
//	go test -run '^$' -bench BenchmarkWebhook1000Chats -benchtime 1x ./internal/telegram/
func BenchmarkWebhook1000Chats(b *testing.B) {
	const chats, inFlight = 1000, 8
	b.Run("sqlite", func(b *testing.B) {
		benchWebhook(b, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(b.TempDir(), "ally.db")}}, chats, inFlight)
	})
	if url := dbtest.PostgresURL(); url != "" {
		b.Run("postgres", func(b *testing.B) {
			benchWebhook(b, dbtest.Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: dbtest.NewSchema(b, url)}}, chats, inFlight)
		})
	}
}

func benchWebhook(b *testing.B, tg dbtest.Target, chats, inFlight int) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := start(b, tg, false)
		ctx := context.Background()
		ids := make([]int64, chats)
		for c := range ids {
			uid, _ := newUser(b, h)
			conv, err := h.Chat.CreateChannelConversation(ctx, uid, "Telegram", chat.ChannelTelegram)
			if err != nil {
				b.Fatal(err)
			}
			ids[c] = int64(100_000 + c)
			if _, err := h.DB.Exec(ctx, `INSERT INTO telegram_links (user_id, chat_id, username, conversation_id, status, linked_at)
					VALUES ($1, $2, '', $3, 'linked', $4)`, uid, ids[c], conv.ID, db.Millis(time.Now())); err != nil {
				b.Fatal(err)
			}
		}
		updates := make([]map[string]any, chats)
		for c, id := range ids {
			updates[c] = h.tg.TextUpdate(tgtest.Private(id), fmt.Sprintf("Hello from chat %d", id))
		}
		b.StartTimer()
		posted := make([]time.Time, chats)
		answer := make([]time.Duration, chats)
		sem := make(chan struct{}, inFlight)
		var wg sync.WaitGroup
		began := time.Now()
		for c := range updates {
			wg.Add(1)
			sem <- struct{}{}
			go func(c int) {
				defer wg.Done()
				defer func() { <-sem }()
				posted[c] = time.Now()
				h.send(b, updates[c])
				answer[c] = time.Since(posted[c])
			}(c)
		}
		wg.Wait()
		deadline := time.Now().Add(10 * time.Minute)
		for {
			done := 0
			for _, id := range ids {
				for _, m := range h.tg.Sent(id) {
					if len(m.Text) > 9 && m.Text[:9] == "You said:" {
						done++
						break
					}
				}
			}
			if done == chats || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		total := time.Since(began)
		b.StopTimer()

		first := make([]time.Duration, 0, chats)
		calls, lost := 0, 0
		for c, id := range ids {
			got := false
			for _, m := range h.tg.Sent(id) {
				got = got || len(m.Text) > 9 && m.Text[:9] == "You said:"
			}
			if !got {
				lost++
			}
			cs := h.tg.CallsTo(id)
			calls += len(cs)
			for _, call := range cs {
				if call.Method == "sendMessageDraft" || call.Method == "sendMessage" {
					first = append(first, call.At.Sub(posted[c]))
					break
				}
			}
		}
		b.ReportMetric(pct(answer, 50), "webhook-p50-ms")
		b.ReportMetric(pct(answer, 99), "webhook-p99-ms")
		b.ReportMetric(pct(first, 50), "first-text-p50-ms")
		b.ReportMetric(pct(first, 99), "first-text-p99-ms")
		b.ReportMetric(float64(calls)/float64(chats), "api-calls/reply")
		b.ReportMetric(float64(lost), "lost-updates")
		b.ReportMetric(total.Seconds(), "all-answered-s")
		if lost > 0 {
			b.Fatalf("%d chats got no answer", lost)
		}
		h.Stop()
	}
}

// pct returns the p-th percentile of ds in milliseconds.
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[(len(s)-1)*p/100]) / float64(time.Millisecond)
}
