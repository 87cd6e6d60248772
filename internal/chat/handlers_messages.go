package chat

import (
	"net/http"
	"strconv"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// messageInput is the body of a send or an edit.
type messageInput struct {
	Content string `json:"content"`
}

func (s *Service) decodeContent(r *http.Request) (string, error) {
	var in messageInput
	if err := httpx.Decode(r, &in); err != nil {
		return "", err
	}
	return in.Content, s.checkContent(in.Content)
}

// sendMessage handles POST /api/v1/conversations/{id}/messages: it stores the message,
// starts the reply and streams it.
func (s *Service) sendMessage(w http.ResponseWriter, r *http.Request) {
	content, err := s.decodeContent(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.startTurn(w, r, turnInput{kind: turnSend, userID: s.userID(r), convID: r.PathValue("id"), content: content})
}

// regenerate handles POST /api/v1/conversations/{id}/regenerate: it writes another
// version of the last reply of the branch shown (the earlier ones stay) and streams it.
func (s *Service) regenerate(w http.ResponseWriter, r *http.Request) {
	s.startTurn(w, r, turnInput{kind: turnRegenerate, userID: s.userID(r), convID: r.PathValue("id")})
}

// regenerateMessage handles POST /api/v1/messages/{id}/regenerate: it writes another
// version of a reply (id: the reply, or the user message it answers), beside the earlier
// ones, shows it and streams it.
func (s *Service) regenerateMessage(w http.ResponseWriter, r *http.Request) {
	userID := s.userID(r)
	m, err := s.store.Message(r.Context(), userID, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	answer := m.ID
	if m.Role == RoleAssistant {
		answer = m.ParentID
	}
	if answer == "" {
		httpx.Error(w, r, errs.E(errs.Conflict, "there is no message to answer yet"))
		return
	}
	s.startTurn(w, r, turnInput{kind: turnRegenerate, userID: userID, convID: m.ConversationID, answerID: answer})
}

// branchInput is the body of PUT /api/v1/conversations/{id}/branch.
type branchInput struct {
	MessageID string `json:"message_id"`
}

// showBranch handles PUT /api/v1/conversations/{id}/branch {message_id}: the conversation
// shows the version message_id (and the branch below it shown last), here and on every
// device, and the model reads that branch from the next turn. It answers the branch
// shown (its latest 100 messages), as GET …/messages does.
func (s *Service) showBranch(w http.ResponseWriter, r *http.Request) {
	var in branchInput
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.MessageID == "" {
		httpx.Error(w, r, errs.InvalidField("message_id", "message_id is required"))
		return
	}
	userID, id := s.userID(r), r.PathValue("id")
	if _, err := s.store.ShowVersion(r.Context(), userID, id, in.MessageID); err != nil {
		httpx.Error(w, r, err)
		return
	}
	page, err := s.store.Messages(r.Context(), userID, id, "", 100)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, page)
}

// editMessage handles POST /api/v1/messages/{id}/edit: it adds a changed version of any
// of the user's messages beside it (the earlier version and what followed it stay), shows
// that branch and streams the new reply.
func (s *Service) editMessage(w http.ResponseWriter, r *http.Request) {
	userID := s.userID(r)
	m, err := s.store.Message(r.Context(), userID, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	content, err := s.decodeContent(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if m.Role != RoleUser {
		httpx.Error(w, r, errs.E(errs.Invalid, "only your own messages can be edited"))
		return
	}
	s.startTurn(w, r, turnInput{kind: turnEdit, userID: userID, convID: m.ConversationID, content: content, editID: m.ID})
}

// startTurn starts the turn and follows its reply; every refusal is a JSON error before
// any stream starts.
func (s *Service) startTurn(w http.ResponseWriter, r *http.Request, in turnInput) {
	rn, err := s.beginReply(r.Context(), in, SendOptions{})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.follow(r.Context(), w, rn, 0)
}

// reattach handles GET /api/v1/conversations/{id}/stream: it replays the reply in progress
// and follows it, wherever it is being generated; 204 when none is.
func (s *Service) reattach(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	userID := s.userID(r)
	conv, err := s.store.Conversation(ctx, userID, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	// A run whose log is complete has stored its final state: nothing is in progress, even
	// in the moment before it leaves the registry.
	if rn := s.runs.conversation(conv.ID); rn != nil && rn.userID == userID && !rn.complete() {
		after, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
		s.follow(ctx, w, rn, after)
		return
	}
	if conv.ActiveReplyID != "" {
		m, err := s.store.Message(ctx, userID, conv.ActiveReplyID)
		if err == nil && m.Status == StatusStreaming {
			s.followStored(ctx, w, userID, m)
			return
		}
	}
	httpx.NoContent(w)
}

// stopMessage handles POST /api/v1/messages/{id}/stop: the reply stops and keeps its text
// so far (status stopped). Stopping a finished reply changes nothing.
func (s *Service) stopMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	userID := s.userID(r)
	m, err := s.store.Message(ctx, userID, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if rn := s.runs.reply(m.ID); rn != nil && rn.userID == userID {
		rn.cancel(errStopped)
		select {
		case <-rn.done:
		case <-ctx.Done():
			return
		}
		if m, err = s.store.Message(ctx, userID, m.ID); err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, m)
		return
	}
	if m.Status != StatusStreaming {
		httpx.JSON(w, http.StatusOK, m)
		return
	}
	// Another instance generates it: it sees the request at its next save or heartbeat.
	if m, err = s.store.RequestStop(ctx, userID, m.ID); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusAccepted, m)
}

// getMessage handles GET /api/v1/messages/{id}.
func (s *Service) getMessage(w http.ResponseWriter, r *http.Request) {
	m, err := s.store.Message(r.Context(), s.userID(r), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, m)
}

// listMessages handles GET /api/v1/conversations/{id}/messages?before=&limit=; the user
// has now seen the conversation, so its unread mark goes.
func (s *Service) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := httpx.Limit(r, 100, 500)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	userID, id := s.userID(r), r.PathValue("id")
	page, err := s.store.Messages(r.Context(), userID, id, q.Get("before"), limit)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.store.MarkRead(r.Context(), userID, id); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, page)
}
