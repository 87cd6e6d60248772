package chat

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"myally.app/ally/internal/errs"
)

// followStored streams a reply that another instance is generating, from what that
// instance saves: the text so far, then new text and steps as they are stored (read on
// each notification from that instance on PostgreSQL, and at every poll), until the
// reply ends. (A reply whose instance died is marked interrupted by the sweep of any
// instance, which ends this stream too.)
func (s *Service) followStored(ctx context.Context, w http.ResponseWriter, userID string, m *Message) {
	out := s.openStream(w)
	emit := func(name string, v any) {
		b, _ := json.Marshal(v)
		out.add(event{name: name, data: b})
	}
	emit("message_start", startEvent{MessageID: m.ID, ConversationID: m.ConversationID})
	poll := time.NewTicker(s.cfg.ChatFollowInterval)
	defer poll.Stop()
	changed, unsubscribe := s.notices.subscribe(m.ID)
	defer unsubscribe()
	lastWrite := time.Now()
	sentText, sentSteps := 0, 0
	for {
		cur, err := s.store.Message(ctx, userID, m.ID)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			code := errs.CodeOf(err)
			if code != errs.NotFound {
				s.logger.Error("following a stored reply failed", "message_id", m.ID, "error", err)
			}
			emit("error", errorEvent{Code: string(code), Message: "the reply can no longer be followed"})
			_ = out.flush()
			return
		}
		for ; sentSteps < len(cur.Steps); sentSteps++ {
			st := cur.Steps[sentSteps]
			if st.textOffset > sentText && st.textOffset <= len(cur.Content) {
				emit("delta", deltaEvent{Text: cur.Content[sentText:st.textOffset]})
				sentText = st.textOffset
			}
			emit("tool_call", toolCallEvent{ToolCallID: st.ToolCallID, Tool: st.Tool, Input: rawJSON(st.Input)})
			emit("tool_result", st.resultEvent())
		}
		if len(cur.Content) > sentText {
			emit("delta", deltaEvent{Text: cur.Content[sentText:]})
			sentText = len(cur.Content)
		}
		if cur.Status != StatusStreaming {
			emit("usage", usageEvent{TokenTotals: cur.Usage, Provider: cur.Provider, Model: cur.Model, Fallback: cur.Fallback})
			if cur.Error != nil && cur.Status == StatusFailed {
				emit("error", errorEvent{Code: cur.Error.Code, Message: cur.Error.Message})
			}
			emit("message_end", endEvent{Status: cur.Status, Usage: cur.Usage})
			_ = out.flush()
			return
		}
		if out.buf.Len() == 0 && time.Since(lastWrite) >= s.cfg.ChatKeepAlive {
			out.comment("keep-alive")
		}
		if out.buf.Len() > 0 {
			if out.flush() != nil {
				return
			}
			lastWrite = time.Now()
		}
		select {
		case <-poll.C:
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// rawJSON returns s as JSON when it is valid, else as a JSON string.
func rawJSON(s string) json.RawMessage {
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}
