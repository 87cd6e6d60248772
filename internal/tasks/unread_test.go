package tasks_test

import (
	"net/http"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
	"myally.app/ally/internal/tasks"
)

// TestInAppDeliveryMarksUnread runs a task with the in_app channel now: once the run is
// delivered, the task's conversation is unread in the user's list, counted once; opening
// it reads it.
func TestInAppDeliveryMarksUnread(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, apptest.Options{})
		_, tok := user(t, s)
		tk := createTask(t, s, tok, daily("08:00"))
		list := func() chat.ConversationPage {
			t.Helper()
			var page chat.ConversationPage
			s.Do("GET", "/api/v1/conversations", tok, nil).JSON(t, &page)
			return page
		}
		if p := list(); p.Unread != 0 {
			t.Fatalf("unread before the run: %d", p.Unread)
		}

		if res := s.Do("POST", "/api/v1/tasks/"+tk.ID+"/run", tok, nil); res.Status != http.StatusAccepted {
			t.Fatalf("run now: %d %s", res.Status, res.Body)
		}
		runs := waitRuns(t, s, tok, tk.ID, settled)
		if runs[0].Status != tasks.RunSucceeded || len(runs[0].Deliveries) != 1 || runs[0].Deliveries[0].Status != tasks.DeliverySent {
			t.Fatalf("run: %+v", runs[0])
		}
		p := list()
		var conv *chat.Conversation
		for _, c := range p.Conversations {
			if c.ID == tk.ConversationID {
				conv = c
			}
		}
		if conv == nil || !conv.Unread || p.Unread != 1 {
			t.Fatalf("after the run: conversation %+v, unread count %d", conv, p.Unread)
		}

		if res := s.Do("GET", "/api/v1/conversations/"+tk.ConversationID+"/messages", tok, nil); res.Status != http.StatusOK {
			t.Fatalf("messages: %d %s", res.Status, res.Body)
		}
		if p := list(); p.Unread != 0 || p.Conversations[0].Unread {
			t.Fatalf("after reading: unread count %d", p.Unread)
		}
	})
}
