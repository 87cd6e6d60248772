package usage_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/usage"
)

type report struct {
	Timezone string `json:"timezone"`
	From     string `json:"from"`
	To       string `json:"to"`
	Days     []struct {
		Date        string  `json:"date"`
		InputTokens int64   `json:"input_tokens"`
		CostMicros  int64   `json:"cost_micros"`
		CostUSD     float64 `json:"cost_usd"`
	} `json:"days"`
	Conversations []struct {
		ConversationID string  `json:"conversation_id"`
		Title          *string `json:"title"`
		InputTokens    int64   `json:"input_tokens"`
	} `json:"conversations"`
	Plan struct {
		ID     string `json:"id"`
		Limits struct {
			MessagesPerDay *int64 `json:"messages_per_day"`
			TokensPerDay   *int64 `json:"tokens_per_day"`
		} `json:"limits"`
	} `json:"plan"`
	Today struct {
		Messages struct {
			Used      int64  `json:"used"`
			Limit     *int64 `json:"limit"`
			Remaining *int64 `json:"remaining"`
		} `json:"messages"`
	} `json:"today"`
}

func TestUsageAPI(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ALLY_PLANS":        `[{"id":"free","limits":{"messages_per_day":5}}]`,
			"ALLY_MODEL_PRICES": `{"house-model": {"input": 2, "output": 10, "cache_read": 0.2, "cache_write": 2.5}}`,
		}})
		ctx := t.Context()
		uid, tok := authtest.NewUser(t, s)
		_, other := authtest.NewUser(t, s)
		if _, err := s.DB.W.ExecContext(ctx, `UPDATE users SET timezone = 'America/New_York' WHERE id = $1`, uid); err != nil {
			t.Fatal(err)
		}
		// 2026-11-10 04:59 UTC is 23:59 on the 9th in New York.
		at := time.Date(2026, 11, 10, 4, 59, 0, 0, time.UTC)
		for i, c := range []usage.Call{
			{UserID: uid, ConversationID: "c1", Provider: "fake", Model: "house-model", Input: 1000, At: at},
			{UserID: uid, ConversationID: "c1", Provider: "fake", Model: "house-model", Input: 500, Output: 100, At: at.Add(2 * time.Minute)},
		} {
			if err := s.Usage.Record(ctx, c); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
		}
		if err := s.Usage.Reserve(ctx, uid, nil); err != nil {
			t.Fatal(err)
		}

		r := s.Do("GET", "/api/v1/usage?from=2026-11-09&to=2026-11-10", tok, nil)
		var rep report
		r.JSON(t, &rep)
		if r.Status != http.StatusOK || rep.Timezone != "America/New_York" || len(rep.Days) != 2 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		// 1000 input × $2/M = 2000 µ$; 500 × 2 + 100 × 10 = 2000 µ$.
		if rep.Days[0].InputTokens != 1000 || rep.Days[0].CostMicros != 2000 || rep.Days[0].CostUSD != 0.002 ||
			rep.Days[1].InputTokens != 500 || rep.Days[1].CostMicros != 2000 {
			t.Fatalf("days: %s", r.Body)
		}
		if len(rep.Conversations) != 1 || rep.Conversations[0].ConversationID != "c1" || rep.Conversations[0].InputTokens != 1500 {
			t.Fatalf("conversations: %s", r.Body)
		}
		if rep.Plan.ID != "free" || *rep.Plan.Limits.MessagesPerDay != 5 || rep.Plan.Limits.TokensPerDay != nil ||
			rep.Today.Messages.Used != 1 || *rep.Today.Messages.Remaining != 4 {
			t.Fatalf("plan and today: %s", r.Body)
		}

		// Another user sees none of it.
		r = s.Do("GET", "/api/v1/usage?from=2026-11-09&to=2026-11-10", other, nil)
		var theirs report
		r.JSON(t, &theirs)
		if r.Status != http.StatusOK || len(theirs.Conversations) != 0 || theirs.Days[0].InputTokens != 0 || theirs.Days[1].InputTokens != 0 || theirs.Today.Messages.Used != 0 {
			t.Fatalf("another user's report: %s", r.Body)
		}

		for _, q := range []string{"from=2026-11-31", "to=11/10/2026", "from=2026-11-10&to=2026-11-09", "from=2024-01-01&to=2026-01-01"} {
			r := s.Do("GET", "/api/v1/usage?"+q, tok, nil)
			if r.Status != http.StatusBadRequest || r.ErrorCode() != "invalid_request" {
				t.Errorf("%s: %d %s", q, r.Status, r.Body)
			}
		}
		if r := s.Do("GET", "/api/v1/usage", "", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("without a token: %d", r.Status)
		}
		if r := s.Do("GET", "/api/v1/usage", tok, nil); r.Status != http.StatusOK {
			t.Errorf("default range: %d %s", r.Status, r.Body)
		}
		if strings.Contains(s.Logs.String(), "no price for model") {
			t.Error("a configured price was not used")
		}
	})
}
