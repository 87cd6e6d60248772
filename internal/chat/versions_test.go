package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// lastTurnRequest is the body of the latest request of a turn the fake received.
func lastTurnRequest(t *testing.T, fake *llmtest.Server) string {
	t.Helper()
	reqs := fake.TurnRequests(llmtest.Anthropic)
	if len(reqs) == 0 {
		t.Fatal("no request reached the model")
	}
	return string(reqs[len(reqs)-1].Body)
}

// showVersion switches the conversation to the version id and returns the branch shown.
func showVersion(t *testing.T, s *apptest.Server, token, conv, id string) []chat.Message {
	t.Helper()
	res := s.Do("PUT", "/api/v1/conversations/"+conv+"/branch", token, map[string]string{"message_id": id})
	if res.Status != http.StatusOK {
		t.Fatalf("show version: %d %s", res.Status, res.Body)
	}
	var page struct{ Messages []chat.Message }
	res.JSON(t, &page)
	return page.Messages
}

func contents(ms []chat.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return out
}

// TestRegenerateKeepsVersions: regenerating adds a version beside the earlier reply; the
// branch shown can switch back to it, that choice is stored (a reload, another device, the
// next turn's context follow it).
func TestRegenerateKeepsVersions(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "first question")
		oldReply := startIDOf(t, send(t, s, token, conv, "second question"))

		fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "A better answer."})
		st, res := open(t, s, "POST", "/api/v1/conversations/"+conv+"/regenerate", token, nil)
		if res != nil {
			t.Fatalf("regenerate: %d %s", res.Status, res.Body)
		}
		st.rest()
		ms := messages(t, s, token, conv)
		if len(ms) != 4 || ms[3].Content != "A better answer." || ms[3].ID == oldReply {
			t.Fatalf("after regenerate: %+v", contents(ms))
		}
		if !slices.Equal(ms[3].SiblingIDs, []string{oldReply, ms[3].ID}) || ms[3].SiblingIndex != 1 || ms[3].ParentID != ms[2].ID {
			t.Fatalf("versions of the new reply: %v index %d parent %s", ms[3].SiblingIDs, ms[3].SiblingIndex, ms[3].ParentID)
		}
		if len(ms[2].SiblingIDs) != 1 || ms[2].ParentID != ms[1].ID || ms[0].ParentID != "" {
			t.Fatalf("the earlier messages have versions or lost their parents: %+v", ms)
		}
		if old := message(t, s, token, oldReply); old.Status != chat.StatusComplete || !strings.HasPrefix(old.Content, "You said: second question") {
			t.Fatalf("the earlier reply is gone: %+v", old)
		}
		// Regenerating the reply by its id adds a third version.
		st, res = open(t, s, "POST", "/api/v1/messages/"+oldReply+"/regenerate", token, nil)
		if res != nil {
			t.Fatalf("regenerate by id: %d %s", res.Status, res.Body)
		}
		st.rest()
		if ms = messages(t, s, token, conv); len(ms[3].SiblingIDs) != 3 || ms[3].SiblingIndex != 2 {
			t.Fatalf("after a second regenerate: %v", ms[3].SiblingIDs)
		}

		// Switching back shows the first reply, here and after a reload.
		shown := showVersion(t, s, token, conv, oldReply)
		if len(shown) != 4 || shown[3].ID != oldReply || shown[3].SiblingIndex != 0 {
			t.Fatalf("after switching back: %+v", contents(shown))
		}
		if ms = messages(t, s, token, conv); ms[3].ID != oldReply {
			t.Fatal("the version shown is not kept")
		}
		var c chat.Conversation
		s.Do("GET", "/api/v1/conversations/"+conv, token, nil).JSON(t, &c)
		if c.LeafID != oldReply {
			t.Fatalf("leaf_id = %q, want the version shown", c.LeafID)
		}
		// The next turn continues the version shown: the model reads it, not the others.
		send(t, s, token, conv, "third question")
		body := lastTurnRequest(t, fake)
		if !strings.Contains(body, "You said: second question") || strings.Contains(body, "A better answer.") {
			t.Fatalf("the next turn does not follow the version shown: %s", body)
		}
		if ms = messages(t, s, token, conv); len(ms) != 6 || ms[4].ParentID != oldReply {
			t.Fatalf("the new turn does not follow the version shown: %+v", contents(ms))
		}

		// Bad input changes nothing.
		for _, body := range []any{map[string]string{}, map[string]string{"message_id": "nope"}} {
			if res := s.Do("PUT", "/api/v1/conversations/"+conv+"/branch", token, body); res.Status != http.StatusBadRequest {
				t.Fatalf("bad branch %v: %d %s", body, res.Status, res.Body)
			}
		}
		_, other := user(t, s)
		if res := s.Do("PUT", "/api/v1/conversations/"+conv+"/branch", other, map[string]string{"message_id": oldReply}); res.Status != http.StatusNotFound {
			t.Fatalf("another user's branch: %d", res.Status)
		}
		if res := s.Do("POST", "/api/v1/messages/"+oldReply+"/regenerate", other, nil); res.Status != http.StatusNotFound {
			t.Fatalf("another user's regenerate: %d", res.Status)
		}
		if ms2 := messages(t, s, token, conv); len(ms2) != 6 || ms2[5].ID != ms[5].ID {
			t.Fatal("a refused request changed the branch")
		}
	})
}

// TestEditEarlierMessageForks: editing any user message adds a version beside it and
// answers it from the context above it alone; the earlier version and all that followed it
// stay, one switch away.
func TestEditEarlierMessageForks(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		for _, q := range []string{"alpha question", "bravo question", "charlie question"} {
			send(t, s, token, conv, q)
		}
		orig := messages(t, s, token, conv)
		if len(orig) != 6 {
			t.Fatalf("%d messages", len(orig))
		}
		if res := s.Do("POST", "/api/v1/messages/"+orig[3].ID+"/edit", token, map[string]string{"content": "x"}); res.Status != http.StatusBadRequest {
			t.Fatalf("editing a reply: %d %s", res.Status, res.Body)
		}

		// The middle message: the fork keeps what came before it.
		st, res := open(t, s, "POST", "/api/v1/messages/"+orig[2].ID+"/edit", token, map[string]string{"content": "bravo, rephrased"})
		if res != nil {
			t.Fatalf("edit: %d %s", res.Status, res.Body)
		}
		st.rest()
		body := lastTurnRequest(t, fake)
		if !strings.Contains(body, "alpha question") || !strings.Contains(body, "bravo, rephrased") ||
			strings.Contains(body, "bravo question") || strings.Contains(body, "charlie question") {
			t.Fatalf("the fork's context: %s", body)
		}
		ms := messages(t, s, token, conv)
		if got := contents(ms); len(got) != 4 || got[0] != "alpha question" || got[2] != "bravo, rephrased" || ms[3].Content != st.text() {
			t.Fatalf("after the edit: %q", got)
		}
		if !slices.Equal(ms[2].SiblingIDs, []string{orig[2].ID, ms[2].ID}) || ms[2].SiblingIndex != 1 || ms[2].ParentID != orig[1].ID {
			t.Fatalf("the edited message's versions: %v", ms[2].SiblingIDs)
		}

		// The first message: a fork from the very start.
		st, res = open(t, s, "POST", "/api/v1/messages/"+orig[0].ID+"/edit", token, map[string]string{"content": "delta question"})
		if res != nil {
			t.Fatalf("edit the first: %d %s", res.Status, res.Body)
		}
		st.rest()
		if body := lastTurnRequest(t, fake); strings.Contains(body, "alpha") || strings.Contains(body, "bravo") {
			t.Fatalf("the first message's fork reads other branches: %s", body)
		}
		ms = messages(t, s, token, conv)
		if len(ms) != 2 || ms[0].Content != "delta question" || len(ms[0].SiblingIDs) != 2 || ms[0].ParentID != "" {
			t.Fatalf("after editing the first message: %+v", contents(ms))
		}

		// Back to the first version: the branch last written below it (the bravo fork).
		shown := showVersion(t, s, token, conv, orig[0].ID)
		if got := contents(shown); len(got) != 4 || got[2] != "bravo, rephrased" {
			t.Fatalf("back to the first version: %q", got)
		}
		// And to the original bravo: the whole first branch.
		shown = showVersion(t, s, token, conv, orig[2].ID)
		if len(shown) != 6 || shown[5].ID != orig[5].ID || shown[2].SiblingIndex != 0 {
			t.Fatalf("back to the original: %q", contents(shown))
		}
		send(t, s, token, conv, "echo question")
		if body := lastTurnRequest(t, fake); !strings.Contains(body, "charlie question") || strings.Contains(body, "rephrased") || strings.Contains(body, "delta") {
			t.Fatalf("the original branch's next turn: %s", body)
		}
	})
}

// TestSummaryFollowsBranch: the summary of older turns is of one branch; a fork above the
// messages it covers does not read it, and the branch it covers still does.
func TestSummaryFollowsBranch(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake, "ALLY_CONTEXT_TOKENS", "1000")
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		for i := range 10 {
			send(t, s, token, conv, fmt.Sprintf("turn-%02d %s", i, strings.Repeat("lorem ipsum ", 50)))
		}
		if body := lastTurnRequest(t, fake); !strings.Contains(body, "A summary of the turns before") {
			t.Fatal("the long branch has no summary")
		}
		ms := messages(t, s, token, conv)
		// A fork at the second message: the summary covers turns of the other branch.
		st, res := open(t, s, "POST", "/api/v1/messages/"+ms[2].ID+"/edit", token, map[string]string{"content": "a new direction"})
		if res != nil {
			t.Fatalf("edit: %d %s", res.Status, res.Body)
		}
		st.rest()
		body := lastTurnRequest(t, fake)
		if strings.Contains(body, "A summary of the turns before") || strings.Contains(body, "turn-05") || !strings.Contains(body, "turn-00") {
			t.Fatalf("the fork reads the other branch's summary: %s", body)
		}
		// Back on the long branch, its summary serves again.
		showVersion(t, s, token, conv, ms[len(ms)-1].ID)
		send(t, s, token, conv, "one more")
		if body := lastTurnRequest(t, fake); !strings.Contains(body, "A summary of the turns before") || strings.Contains(body, "a new direction") {
			t.Fatalf("the long branch lost its summary: %s", body)
		}
	})
}

// TestVersionsWhileStreaming: a reply in progress blocks regenerating, editing and switching
// versions in its conversation.
func TestVersionsWhileStreaming(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "first question")
		ms := messages(t, s, token, conv)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Stall: true})
		st, res := open(t, s, "POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"content": "slow one"})
		if res != nil {
			t.Fatalf("send: %d %s", res.Status, res.Body)
		}
		var start struct {
			MessageID string `json:"message_id"`
		}
		st.until("message_start").decode(t, &start)
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/v1/conversations/" + conv + "/regenerate", nil},
			{"POST", "/api/v1/messages/" + ms[1].ID + "/regenerate", nil},
			{"POST", "/api/v1/messages/" + ms[0].ID + "/edit", map[string]string{"content": "x"}},
			{"PUT", "/api/v1/conversations/" + conv + "/branch", map[string]string{"message_id": ms[1].ID}},
		} {
			res := s.Do(r.method, r.path, token, r.body)
			if res.Status != http.StatusConflict {
				t.Errorf("%s %s while streaming: %d %s", r.method, r.path, res.Status, res.Body)
			}
		}
		s.Do("POST", "/api/v1/messages/"+start.MessageID+"/stop", token, nil)
		st.rest()
		if got := messages(t, s, token, conv); len(got) != 4 || got[3].ID != start.MessageID {
			t.Fatalf("after the stop: %+v", contents(got))
		}
	})
}

// TestLinearFromGo: a turn started from Go (Telegram, tasks) continues the branch shown.
func TestLinearFromGo(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		userID, token := user(t, s)
		c, err := s.Chat.CreateChannelConversation(context.Background(), userID, "Telegram", chat.ChannelTelegram)
		if err != nil {
			t.Fatal(err)
		}
		sendWith(t, s, userID, c.ID, "one", chat.SendOptions{Origin: chat.OriginTelegram})
		ms := messages(t, s, token, c.ID)
		fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "Second take."})
		st, res := open(t, s, "POST", "/api/v1/conversations/"+c.ID+"/regenerate", token, nil)
		if res != nil {
			t.Fatalf("regenerate: %d", res.Status)
		}
		st.rest()
		showVersion(t, s, token, c.ID, ms[1].ID)
		sendWith(t, s, userID, c.ID, "two", chat.SendOptions{Origin: chat.OriginTelegram})
		got := messages(t, s, token, c.ID)
		if len(got) != 4 || got[1].ID != ms[1].ID || got[2].Content != "two" || got[2].ParentID != ms[1].ID {
			t.Fatalf("the Telegram turn: %+v", contents(got))
		}
		if body := lastTurnRequest(t, fake); strings.Contains(body, "Second take.") {
			t.Fatal("the Telegram turn read a version not shown")
		}
		var conv chat.Conversation
		s.Do("GET", "/api/v1/conversations/"+c.ID, token, nil).JSON(t, &conv)
		if conv.Title != "Telegram" || conv.TitlePending {
			t.Fatalf("a channel conversation's title changed: %+v", conv)
		}
	})
}

// TestExportHoldsEveryVersion: the export has every version with its parent.
func TestExportHoldsEveryVersion(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := start(t, tg, fake)
		_, token := user(t, s)
		conv := newConversation(t, s, token)
		send(t, s, token, conv, "first question")
		st, _ := open(t, s, "POST", "/api/v1/conversations/"+conv+"/regenerate", token, nil)
		st.rest()
		ms := messages(t, s, token, conv)
		st, _ = open(t, s, "POST", "/api/v1/messages/"+ms[0].ID+"/edit", token, map[string]string{"content": "changed question"})
		st.rest()
		res := s.Do("GET", "/api/v1/me/export", token, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("export: %d", res.Status)
		}
		var doc struct {
			FormatVersion int `json:"format_version"`
			Messages      []struct {
				ID       string  `json:"id"`
				ParentID *string `json:"parent_id"`
				Role     string  `json:"role"`
				Content  string  `json:"content"`
			} `json:"messages"`
			Conversations []struct {
				LeafID string `json:"leaf_id"`
			} `json:"conversations"`
		}
		if err := json.Unmarshal(res.Body, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.FormatVersion != 3 || len(doc.Messages) != 5 || len(doc.Conversations) != 1 {
			t.Fatalf("export: version %d, %d messages", doc.FormatVersion, len(doc.Messages))
		}
		byParent := map[string][]string{}
		for _, m := range doc.Messages {
			p := ""
			if m.ParentID != nil {
				p = *m.ParentID
			}
			byParent[p] = append(byParent[p], m.Role)
		}
		// Two first messages (the original and its edit), two replies to the first, one
		// to the edit.
		if len(byParent[""]) != 2 || len(byParent[ms[0].ID]) != 2 || doc.Conversations[0].LeafID == "" {
			t.Fatalf("the tree in the export: %v", byParent)
		}
	})
}
