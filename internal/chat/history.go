package chat

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"myally.app/ally/internal/llm"
)

// estimateTokens approximates the tokens of text (about four bytes each) plus a message's
// framing. It only has to be consistent: it decides what fits the budget.
func estimateTokens(bytes int) int { return bytes/4 + 4 }

// window is the newest part of a conversation that fits the token budget.
type window struct {
	messages []*Message // chronological
	tokens   int
	// overflow says older messages (after the summary) did not fit.
	overflow bool
}

// branchFrom is the walk up a branch: the message $3 of conversation $2 (of user $1) and
// its ancestors, nearest first (depth 0 is the message itself), at most $4 of them,
// stopping below seq $5. A branch's seqs fall as it goes up (a message is stored after
// the one it follows).
const branchFrom = `WITH RECURSIVE branch(bid, depth) AS (
		SELECT id, 0 FROM messages WHERE user_id = $1 AND conversation_id = $2 AND id = $3
		UNION ALL
		SELECT m.parent_id, b.depth + 1 FROM branch b JOIN messages m ON m.id = b.bid
		WHERE m.parent_id IS NOT NULL AND m.seq > $5 AND b.depth + 1 < $4
	)`

// recentMessages reads the branch ending at message fromID after seq after, newest first,
// until the budget is spent (or, with turns > 0, that many user messages are read). It
// reads only what it keeps, so its cost does not depend on the conversation's length.
func (s *Store) recentMessages(ctx context.Context, userID, convID, fromID string, after int64, budget, turns int) (*window, error) {
	rows, err := s.db.R.QueryContext(ctx, branchFrom+` SELECT `+messageColumns+`,
		(SELECT COALESCE(SUM(LENGTH(st.input) + LENGTH(st.result)), 0) FROM message_steps st WHERE st.message_id = messages.id)
		FROM branch JOIN messages ON messages.id = branch.bid WHERE messages.seq > $5 ORDER BY branch.depth`,
		userID, convID, fromID, 1<<30, after)
	if err != nil {
		return nil, fmt.Errorf("chat: read history: %w", err)
	}
	w := &window{}
	users := 0
	for rows.Next() && (turns <= 0 || users < turns) {
		var stepBytes int
		m, err := scanMessage(scanPlus{rows, &stepBytes})
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("chat: read history: %w", err)
		}
		n := estimateTokens(len(m.Content) + stepBytes)
		if w.tokens+n > budget && len(w.messages) > 0 {
			w.overflow = true
			break
		}
		w.tokens += n
		w.messages = append(w.messages, m)
		if m.Role == RoleUser {
			users++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat: read history: %w", err)
	}
	sort.Slice(w.messages, func(i, j int) bool { return w.messages[i].seq < w.messages[j].seq })
	if err := s.attach(ctx, userID, w.messages); err != nil {
		return nil, err
	}
	return w, nil
}

// onBranch reports whether message id, of sequence number seq, is on the branch ending at
// message fromID. The walk stops at seq, so it reads only the messages after id.
func (s *Store) onBranch(ctx context.Context, userID, convID, fromID, id string, seq int64) (bool, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, branchFrom+` SELECT COUNT(*) FROM branch WHERE bid = $6`,
		userID, convID, fromID, 1<<30, seq, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("chat: read history: %w", err)
	}
	return n > 0, nil
}

// scanPlus scans a message row followed by extra columns.
type scanPlus struct {
	row   interface{ Scan(...any) error }
	extra *int
}

func (p scanPlus) Scan(dest ...any) error { return p.row.Scan(append(dest, p.extra)...) }

// messagesBetween returns the messages of the branch ending at message fromID with
// after < seq (fromID included), oldest first, up to a token cap (at least one message).
func (s *Store) messagesBetween(ctx context.Context, userID, convID, fromID string, after int64, capTokens int) ([]*Message, error) {
	rows, err := s.db.R.QueryContext(ctx, branchFrom+` SELECT `+messageColumns+`
		FROM branch JOIN messages ON messages.id = branch.bid WHERE messages.seq > $5 ORDER BY branch.depth DESC`,
		userID, convID, fromID, 1<<30, after)
	if err != nil {
		return nil, fmt.Errorf("chat: read history: %w", err)
	}
	var out []*Message
	tokens := 0
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("chat: read history: %w", err)
		}
		n := estimateTokens(len(m.Content))
		if tokens+n > capTokens && len(out) > 0 {
			break
		}
		tokens += n
		out = append(out, m)
	}
	rows.Close()
	return out, rows.Err()
}

// toModelMessages rebuilds the exchange the model saw from stored messages: user texts,
// and for each reply its text split around its tool calls and their results. Consecutive
// messages of the same role are merged, and the history starts with the user.
func toModelMessages(ms []*Message) []llm.Message {
	var out []llm.Message
	add := func(role llm.Role, parts ...llm.Part) {
		if len(parts) == 0 {
			return
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			if role == llm.RoleUser && parts[0].Type == llm.PartToolResult {
				// Tool results lead their user message.
				out[n-1].Parts = append(parts, out[n-1].Parts...)
				return
			}
			out[n-1].Parts = append(out[n-1].Parts, parts...)
			return
		}
		out = append(out, llm.Message{Role: role, Parts: parts})
	}
	for _, m := range ms {
		if m.Role == RoleUser {
			add(llm.RoleUser, llm.TextPart(m.Content))
			continue
		}
		pos := 0
		for i := 0; i < len(m.Steps); {
			round := m.Steps[i].round
			var uses, results []llm.Part
			end := min(max(m.Steps[i].textOffset, pos), len(m.Content))
			if t := strings.TrimSpace(m.Content[pos:end]); t != "" {
				uses = append(uses, llm.TextPart(t))
			}
			pos = end
			for ; i < len(m.Steps) && m.Steps[i].round == round; i++ {
				st := m.Steps[i]
				uses = append(uses, llm.ToolUsePart(st.ToolCallID, st.Tool, rawJSON(st.Input)))
				results = append(results, llm.ToolResultPart(st.ToolCallID, st.Tool, st.Result, st.IsError))
			}
			add(llm.RoleAssistant, uses...)
			add(llm.RoleUser, results...)
		}
		if t := strings.TrimSpace(m.Content[min(pos, len(m.Content)):]); t != "" {
			add(llm.RoleAssistant, llm.TextPart(t))
		}
	}
	for len(out) > 0 && out[0].Role != llm.RoleUser {
		out = out[1:]
	}
	return out
}
