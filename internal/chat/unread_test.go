package chat_test

import (
	"context"
	"net/http"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/llm/llmtest"
)

// unreadList reads the first page of conversations: which are unread, and the count.
func unreadList(t *testing.T, s *apptest.Server, token string) (map[string]bool, int) {
	t.Helper()
	res := s.Do("GET", "/api/v1/conversations", token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("list: %d %s", res.Status, res.Body)
	}
	var page struct {
		Conversations []chat.Conversation
		Unread        *int
	}
	res.JSON(t, &page)
	if page.Unread == nil {
		t.Fatalf("list without an unread count: %s", res.Body)
	}
	marked := map[string]bool{}
	for _, c := range page.Conversations {
		if c.Unread {
			marked[c.ID] = true
		}
	}
	return marked, *page.Unread
}

// TestMarkUnread marks a conversation unread as a feature does: the list shows it and
// counts it (beyond the page too); another user's id is not found and changes nothing;
// reading the messages, POST read and sending a message each clear the mark.
func TestMarkUnread(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		ctx := context.Background()
		uid, token := user(t, s)
		_, other := user(t, s)
		a, b := newConversation(t, s, token), newConversation(t, s, token)
		theirs := newConversation(t, s, other)
		send(t, s, token, b, "Hi") // b is the latest activity

		if marked, n := unreadList(t, s, token); len(marked) != 0 || n != 0 {
			t.Fatalf("fresh conversations unread: %v %d", marked, n)
		}
		if err := s.Chat.MarkUnread(ctx, uid, a); err != nil {
			t.Fatal(err)
		}
		if marked, n := unreadList(t, s, token); !marked[a] || len(marked) != 1 || n != 1 {
			t.Fatalf("after MarkUnread: %v count %d, want %s and 1", marked, n, a)
		}
		var one chat.Conversation
		s.Do("GET", "/api/v1/conversations/"+a, token, nil).JSON(t, &one)
		if !one.Unread {
			t.Fatalf("GET conversation: not unread")
		}

		// The count covers every page, not just this one.
		res := s.Do("GET", "/api/v1/conversations?limit=1", token, nil)
		var page chat.ConversationPage
		res.JSON(t, &page)
		if len(page.Conversations) != 1 || page.Conversations[0].ID != b || page.Unread != 1 {
			t.Fatalf("page of one: %s", res.Body)
		}

		// Another user's conversation: not found, nothing marked on either side.
		if err := s.Chat.MarkUnread(ctx, uid, theirs); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another user's conversation: %v", err)
		}
		if marked, n := unreadList(t, s, other); len(marked) != 0 || n != 0 {
			t.Fatalf("the other user's list: %v %d", marked, n)
		}
		if res := s.Do("POST", "/api/v1/conversations/"+a+"/read", other, nil); res.Status != http.StatusNotFound {
			t.Fatalf("POST read as another user: %d %s", res.Status, res.Body)
		}
		if _, n := unreadList(t, s, token); n != 1 {
			t.Fatalf("another user's read cleared the mark: %d", n)
		}

		// Opening the conversation (its messages) reads it.
		messages(t, s, token, a)
		if marked, n := unreadList(t, s, token); len(marked) != 0 || n != 0 {
			t.Fatalf("after GET messages: %v %d", marked, n)
		}

		// POST read clears it (and answers 204 when already read).
		for range 2 {
			if err := s.Chat.MarkUnread(ctx, uid, b); err != nil {
				t.Fatal(err)
			}
			if res := s.Do("POST", "/api/v1/conversations/"+b+"/read", token, nil); res.Status != http.StatusNoContent {
				t.Fatalf("POST read: %d %s", res.Status, res.Body)
			}
			if marked, n := unreadList(t, s, token); len(marked) != 0 || n != 0 {
				t.Fatalf("after POST read: %v %d", marked, n)
			}
		}
		if res := s.Do("POST", "/api/v1/conversations/"+b+"/read", token, nil); res.Status != http.StatusNoContent {
			t.Fatalf("POST read of a read conversation: %d %s", res.Status, res.Body)
		}
		if res := s.Do("POST", "/api/v1/conversations/nope/read", token, nil); res.Status != http.StatusNotFound {
			t.Fatalf("POST read of no conversation: %d %s", res.Status, res.Body)
		}

		// Sending a message in it clears it too.
		if err := s.Chat.MarkUnread(ctx, uid, a); err != nil {
			t.Fatal(err)
		}
		send(t, s, token, a, "Hello")
		if marked, n := unreadList(t, s, token); len(marked) != 0 || n != 0 {
			t.Fatalf("after sending: %v %d", marked, n)
		}
	})
}
