package chat_test

import (
	"fmt"
	"net/http"
	"testing"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

func TestConversations(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)

		// Create five; the list is newest activity first, paged with a cursor.
		var ids []string
		for i := range 5 {
			res := s.Do("POST", "/api/v1/conversations", token, map[string]string{"title": fmt.Sprintf("Chat %d", i)})
			var c chat.Conversation
			res.JSON(t, &c)
			ids = append(ids, c.ID)
		}
		// Activity in the oldest moves it to the top.
		send(t, s, token, ids[0], "The secret ingredient is cardamom.")

		var got []*chat.Conversation
		cursor := ""
		for {
			res := s.Do("GET", "/api/v1/conversations?limit=2&cursor="+cursor, token, nil)
			var page chat.ConversationPage
			res.JSON(t, &page)
			if len(page.Conversations) > 2 {
				t.Fatalf("page of %d", len(page.Conversations))
			}
			got = append(got, page.Conversations...)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		seen := map[string]bool{}
		for i, c := range got {
			seen[c.ID] = true
			if i > 0 && c.UpdatedAt.After(got[i-1].UpdatedAt) {
				t.Fatalf("not newest activity first: %v after %v", c.UpdatedAt, got[i-1].UpdatedAt)
			}
		}
		if len(got) != 5 || len(seen) != 5 || got[0].ID != ids[0] {
			t.Fatalf("paged through %d conversations (%d distinct), first %s; want 5 with %s first", len(got), len(seen), got[0].ID, ids[0])
		}

		// Search finds titles and message content, case-insensitively; LIKE wildcards
		// are literal.
		for q, n := range map[string]int{"CARDAMOM": 1, "chat 3": 1, "chat": 5, "%": 0, "nothing-like-this": 0} {
			res := s.Do("GET", "/api/v1/conversations?q="+urlQuery(q), token, nil)
			var page chat.ConversationPage
			res.JSON(t, &page)
			if len(page.Conversations) != n {
				t.Fatalf("search %q: %d results, want %d", q, len(page.Conversations), n)
			}
		}

		// Rename, then delete (with its messages).
		res := s.Do("PATCH", "/api/v1/conversations/"+ids[1], token, map[string]string{"title": "  Trip   planning "})
		var c chat.Conversation
		res.JSON(t, &c)
		if res.Status != http.StatusOK || c.Title != "Trip planning" {
			t.Fatalf("rename: %d %+v", res.Status, c)
		}
		if res := s.Do("PATCH", "/api/v1/conversations/"+ids[1], token, map[string]string{"title": ""}); res.Status != http.StatusBadRequest {
			t.Fatalf("empty title: %d", res.Status)
		}
		if res := s.Do("DELETE", "/api/v1/conversations/"+ids[0], token, nil); res.Status != http.StatusNoContent {
			t.Fatalf("delete: %d", res.Status)
		}
		if res := s.Do("GET", "/api/v1/conversations/"+ids[0]+"/messages", token, nil); res.Status != http.StatusNotFound {
			t.Fatalf("messages of a deleted conversation: %d", res.Status)
		}
		res = s.Do("GET", "/api/v1/conversations?q=cardamom", token, nil)
		var page chat.ConversationPage
		res.JSON(t, &page)
		if len(page.Conversations) != 0 {
			t.Fatal("a deleted conversation's content is still found")
		}
		if res := s.Do("GET", "/api/v1/conversations?cursor=garbage", token, nil); res.Status != http.StatusBadRequest {
			t.Fatalf("bad cursor: %d", res.Status)
		}
	})
}

func TestFeedbackAndPreferences(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "hello")
		ms := messages(t, s, token, conv)
		reply := ms[1].ID
		path := "/api/v1/messages/" + reply + "/feedback"

		if res := s.Do("PUT", path, token, map[string]string{"rating": "down", "reason": "too long"}); res.Status != http.StatusOK {
			t.Fatalf("feedback: %d %s", res.Status, res.Body)
		}
		if res := s.Do("PUT", path, token, map[string]string{"rating": "up"}); res.Status != http.StatusOK {
			t.Fatalf("change feedback: %d %s", res.Status, res.Body)
		}
		if m := message(t, s, token, reply); m.Feedback == nil || m.Feedback.Rating != "up" || m.Feedback.Reason != "" {
			t.Fatalf("feedback = %+v", m.Feedback)
		}
		var events int
		if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM message_feedback WHERE message_id = $1`, reply).Scan(&events); err != nil || events != 2 {
			t.Fatalf("feedback events = %d (%v), want 2", events, err)
		}
		for name, body := range map[string]any{"bad rating": map[string]string{"rating": "meh"}, "no rating": map[string]string{}} {
			if res := s.Do("PUT", path, token, body); res.Status != http.StatusBadRequest {
				t.Fatalf("%s: %d", name, res.Status)
			}
		}
		if res := s.Do("PUT", "/api/v1/messages/"+ms[0].ID+"/feedback", token, map[string]string{"rating": "up"}); res.Status != http.StatusBadRequest {
			t.Fatalf("feedback on the user's own message: %d", res.Status)
		}
		if res := s.Do("DELETE", path, token, nil); res.Status != http.StatusNoContent {
			t.Fatalf("clear feedback: %d", res.Status)
		}
		if m := message(t, s, token, reply); m.Feedback != nil {
			t.Fatalf("cleared feedback = %+v", m.Feedback)
		}

		// Preferences: defaults, replace, validation leaves them unchanged.
		var p chat.Preferences
		s.Do("GET", "/api/v1/me/preferences", token, nil).JSON(t, &p)
		if p.ResponseLength != "medium" || !p.MemoryEnabled {
			t.Fatalf("default preferences = %+v", p)
		}
		res := s.Do("PUT", "/api/v1/me/preferences", token, map[string]any{"assistant_name": "Juno", "tone": "Warm, no emoji.", "response_length": "long", "language": "French", "memory_enabled": true})
		if res.Status != http.StatusOK {
			t.Fatalf("put preferences: %d %s", res.Status, res.Body)
		}
		for name, body := range map[string]any{
			"length":  map[string]any{"response_length": "huge"},
			"tone":    map[string]any{"tone": string(make([]byte, 1001))},
			"name":    map[string]any{"assistant_name": "a\nb"},
			"unknown": map[string]any{"colour": "blue"},
		} {
			if res := s.Do("PUT", "/api/v1/me/preferences", token, body); res.Status != http.StatusBadRequest {
				t.Fatalf("%s: %d %s", name, res.Status, res.Body)
			}
		}
		s.Do("GET", "/api/v1/me/preferences", token, nil).JSON(t, &p)
		if p.AssistantName != "Juno" || p.Language != "French" || p.ResponseLength != "long" {
			t.Fatalf("preferences after refused updates = %+v", p)
		}
		send(t, s, token, conv, "bonjour")
		reqs := fake.TurnRequests(llmtest.Anthropic)
		if last := string(reqs[len(reqs)-1].Body); !contains(last, "Juno") || !contains(last, "Answer in French") || !contains(last, "Warm, no emoji.") {
			t.Fatalf("preferences are not in the context: %s", last)
		}
	})
}
