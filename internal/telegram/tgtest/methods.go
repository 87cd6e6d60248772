package tgtest

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// MaxText is the Bot API's limit on a message's text after entity parsing.
const MaxText = 4096

// answer runs one method; a nil Failure is ok.
func (s *Server) answer(ctx context.Context, method string, p map[string]string) (any, *Failure) {
	if method == "getUpdates" {
		return s.getUpdates(ctx, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, f := s.answerLocked(method, p)
	c := Call{Method: method, Params: p, At: s.Now()}
	if f != nil {
		c.Status = f.Code
	}
	s.calls = append(s.calls, c)
	return res, f
}

func (s *Server) answerLocked(method string, p map[string]string) (any, *Failure) {
	if q := s.failures[method]; len(q) > 0 {
		s.failures[method] = q[1:]
		return nil, &q[0]
	}
	chatID, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	switch method {
	case "getMe":
		return map[string]any{"id": s.botID(), "is_bot": true, "first_name": "Ally", "username": s.Username,
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}, nil
	case "setWebhook":
		s.webhook, s.secret = p["url"], p["secret_token"]
		return true, nil
	case "deleteWebhook":
		s.webhook, s.secret = "", ""
		if p["drop_pending_updates"] == "true" {
			s.pending, s.pendingIDs = nil, nil
		}
		return true, nil
	case "getWebhookInfo":
		return map[string]any{"url": s.webhook, "has_custom_certificate": false, "pending_update_count": len(s.pending)}, nil
	case "sendChatAction":
		if f := s.checkChat(chatID); f != nil {
			return nil, f
		}
		return true, nil
	case "sendMessageDraft":
		if f := s.checkChat(chatID); f != nil {
			return nil, f
		}
		if chatID < 0 {
			return nil, &Failure{Code: 400, Description: "Bad Request: TEXTDRAFT_PEER_INVALID"}
		}
		if p["draft_id"] == "" || p["draft_id"] == "0" {
			return nil, &Failure{Code: 400, Description: "Bad Request: draft_id must be non-zero"}
		}
		if _, f := checkText(p["text"], p["parse_mode"]); f != nil {
			return nil, f
		}
		return true, nil
	case "sendMessage":
		if f := s.checkChat(chatID); f != nil {
			return nil, f
		}
		if _, f := checkText(p["text"], p["parse_mode"]); f != nil {
			return nil, f
		}
		s.nextMsg++
		m := &Message{ID: s.nextMsg, ChatID: chatID, Text: p["text"]}
		s.messages[m.ID], s.order = m, append(s.order, m.ID)
		return s.messageJSON(m), nil
	case "editMessageText":
		if f := s.checkChat(chatID); f != nil {
			return nil, f
		}
		id, _ := strconv.ParseInt(p["message_id"], 10, 64)
		m := s.messages[id]
		if m == nil || m.ChatID != chatID {
			return nil, &Failure{Code: 400, Description: "Bad Request: message to edit not found"}
		}
		if _, f := checkText(p["text"], p["parse_mode"]); f != nil {
			return nil, f
		}
		if p["text"] == m.Text {
			f := NotModified
			return nil, &f
		}
		m.Text = p["text"]
		m.Edits++
		return s.messageJSON(m), nil
	}
	return nil, &Failure{Code: 404, Description: "Not Found: method not found"}
}

func (s *Server) botID() int64 {
	id, _ := strconv.ParseInt(strings.Split(s.Token, ":")[0], 10, 64)
	return id
}

func (s *Server) checkChat(chatID int64) *Failure {
	if chatID == 0 {
		return &Failure{Code: 400, Description: "Bad Request: chat not found"}
	}
	if s.blocked[chatID] {
		f := Blocked
		return &f
	}
	return nil
}

func (s *Server) messageJSON(m *Message) map[string]any {
	kind := "private"
	if m.ChatID < 0 {
		kind = "group"
	}
	return map[string]any{"message_id": m.ID, "date": s.Now().Unix(), "text": m.Text,
		"chat": map[string]any{"id": m.ChatID, "type": kind},
		"from": map[string]any{"id": s.botID(), "is_bot": true, "first_name": "Ally", "username": s.Username}}
}

// getUpdates confirms the updates before offset and returns the pending ones, waiting up
// to timeout seconds for one. It is refused while a webhook is set, and while another
// getUpdates is waiting (two pollers), as Telegram does.
func (s *Server) getUpdates(ctx context.Context, p map[string]string) (any, *Failure) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	timeout, _ := strconv.Atoi(p["timeout"])
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	s.mu.Lock()
	if s.polling > 0 {
		s.calls = append(s.calls, Call{Method: "getUpdates", Params: p, At: s.Now(), Status: 409})
		s.mu.Unlock()
		return nil, &Failure{Code: 409, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
	}
	s.polling++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling--
		s.mu.Unlock()
	}()
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: "getUpdates", Params: p, At: s.Now()})
		if s.webhook != "" {
			s.mu.Unlock()
			return nil, &Failure{Code: 409, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		for len(s.pendingIDs) > 0 && offset > 0 && s.pendingIDs[0] < offset {
			s.pending, s.pendingIDs = s.pending[1:], s.pendingIDs[1:]
		}
		if n := len(s.pending); n > 0 {
			if n > limit {
				n = limit
			}
			out := append([]json.RawMessage(nil), s.pending[:n]...)
			s.mu.Unlock()
			return out, nil
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			return []json.RawMessage{}, nil
		case <-ctx.Done():
			return []json.RawMessage{}, nil
		}
	}
}
