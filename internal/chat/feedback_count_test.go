package chat_test

import (
	"net/http"
	"testing"

	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// TestThumbThenReasonIsOneFeedback: the web app saves a thumb at once and its reason when
// the person writes one; that is one piece of feedback in the store and in the data summary.
func TestThumbThenReasonIsOneFeedback(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "hello")
		reply := messages(t, s, token, conv)[1].ID
		path := "/api/v1/messages/" + reply + "/feedback"
		for _, body := range []map[string]string{{"rating": "down"}, {"rating": "down", "reason": "too long"}} {
			if res := s.Do("PUT", path, token, body); res.Status != http.StatusOK {
				t.Fatalf("feedback %v: %d %s", body, res.Status, res.Body)
			}
		}
		if m := message(t, s, token, reply); m.Feedback == nil || m.Feedback.Rating != "down" || m.Feedback.Reason != "too long" {
			t.Fatalf("feedback = %+v", m.Feedback)
		}
		var sum struct {
			Sections []struct {
				Section string
				Rows    int
			}
		}
		s.Do("GET", "/api/v1/me/data", token, nil).JSON(t, &sum)
		found := false
		for _, sec := range sum.Sections {
			if sec.Section == "feedback" {
				found = true
				if sec.Rows != 1 {
					t.Fatalf("the data summary counts %d feedback, want 1", sec.Rows)
				}
			}
		}
		if !found {
			t.Fatalf("no feedback section in the data summary: %+v", sum)
		}
		// Changing one's mind is a new event: up after down is two.
		if res := s.Do("PUT", path, token, map[string]string{"rating": "up"}); res.Status != http.StatusOK {
			t.Fatalf("change feedback: %d %s", res.Status, res.Body)
		}
		var events int
		if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM message_feedback WHERE message_id = $1`, reply).Scan(&events); err != nil || events != 2 {
			t.Fatalf("feedback events = %d (%v), want 2", events, err)
		}
	})
}
