package chat_test

import (
	"fmt"
	"strings"
	"testing"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// TestLongConversationCostStaysFlat: beyond the token budget, older turns are summarised
// once into a stored summary that later turns reuse, so what each turn sends stops
// growing.
func TestLongConversationCostStaysFlat(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, "ALLY_CONTEXT_TOKENS", "1000")
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		var sizes []int
		for i := range 24 {
			msg := fmt.Sprintf("turn-%02d %s", i, strings.Repeat("lorem ipsum ", 50))
			if st := send(t, s, token, conv, msg); st.end() != chat.StatusComplete {
				t.Fatalf("turn %d: %s", i, st.end())
			}
			reqs := fake.TurnRequests(llmtest.Anthropic)
			sizes = append(sizes, len(reqs[len(reqs)-1].Body))
		}
		var main, summaries []string
		for _, r := range fake.TurnRequests(llmtest.Anthropic) {
			if b := string(r.Body); strings.Contains(b, "running summary") {
				summaries = append(summaries, b)
			} else {
				main = append(main, b)
			}
		}
		if len(main) != 24 || len(summaries) == 0 {
			t.Fatalf("%d turns and %d summary calls", len(main), len(summaries))
		}
		// Each turn is summarised once: it appears in one summary call's new part.
		for i := range 20 {
			n := 0
			for _, b := range summaries {
				part := b[strings.LastIndex(b, `conversation\u003e`):]
				if strings.Contains(part, fmt.Sprintf("Person: turn-%02d ", i)) {
					n++
				}
			}
			if n > 1 {
				t.Fatalf("turn %d was summarised %d times", i, n)
			}
		}
		// The latest turns carry the summary and the oldest turns are gone from them.
		last := main[len(main)-1]
		if !strings.Contains(last, "A summary of the turns before") || strings.Contains(last, `"text":"turn-00 lorem`) {
			t.Fatal("the last turn does not use the summary in place of the oldest turns")
		}
		// Flat: the last turns send no more than the turns right after the first summary.
		firstSummarised := 0
		for i, b := range main {
			if strings.Contains(b, "A summary of the turns before") {
				firstSummarised = i
				break
			}
		}
		peak := 0
		for _, n := range sizes[firstSummarised : firstSummarised+4] {
			peak = max(peak, n)
		}
		for i, n := range sizes[len(sizes)-6:] {
			if n > peak*5/4 {
				t.Fatalf("turn %d sends %d bytes, more than the %d of early summarised turns: the cost grows", len(sizes)-6+i, n, peak)
			}
		}
		// Summary calls are counted in the conversation's usage.
		var c chat.Conversation
		s.Do("GET", "/api/v1/conversations/"+conv, token, nil).JSON(t, &c)
		var replies int64
		for _, m := range messages(t, s, token, conv) {
			replies += m.Usage.InputTokens
		}
		if c.Usage.InputTokens <= replies {
			t.Fatalf("conversation input %d does not include the summaries (replies %d)", c.Usage.InputTokens, replies)
		}
	})
}
