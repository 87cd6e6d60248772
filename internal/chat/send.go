package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"myally.app/ally/internal/errs"
)

// beginReply checks that a turn may start (a provider, the owner, one reply at a time,
// the plan's allowance), stores it and starts its reply.
func (s *Service) beginReply(ctx context.Context, in turnInput, opts SendOptions) (*run, error) {
	if opts.Origin == "" {
		opts.Origin = OriginChat
	}
	if len(s.models.Providers()) == 0 {
		return nil, errNoProvider
	}
	if s.runs.isClosing() {
		return nil, errRestarting
	}
	loc := s.userLocation(ctx, in.userID)
	if s.ledger != nil {
		var err error
		if in.reserve, err = s.ledger.PrepareTurn(ctx, in.userID, loc); err != nil {
			return nil, err
		}
	}
	// BeginTurn claims the conversation (refusing one that is not the user's, or busy)
	// and reserves the allowance, in one transaction.
	t, err := s.store.BeginTurn(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.startRun(t, loc, opts), nil
}

// checkContent refuses a message that is empty, not text, or too long.
func (s *Service) checkContent(content string) error {
	switch {
	case strings.TrimSpace(content) == "":
		return errs.InvalidField("content", "content must not be empty")
	case !utf8.ValidString(content) || strings.ContainsRune(content, 0):
		return errs.InvalidField("content", "content must be text")
	case utf8.RuneCountInString(content) > s.cfg.ChatMaxMessageChars:
		return errs.InvalidField("content", "content must be at most %d characters", s.cfg.ChatMaxMessageChars)
	}
	return nil
}

// Reply is a reply being generated, for callers in Go (Telegram, scheduled tasks).
type Reply struct {
	// ID is the assistant message; ConversationID its conversation.
	ID, ConversationID string

	s  *Service
	rn *run
}

// ReplyEvent is one event of a reply, the same as on its SSE stream.
type ReplyEvent struct {
	// Name is message_start, delta, tool_call, tool_result, usage, error or message_end.
	Name string
	// Data is the event's JSON payload.
	Data json.RawMessage
	// Text is the text of a delta.
	Text string
}

// SendOptions adjust one turn started from Go (a scheduled task's run). The zero value is
// a user's ordinary message. They hold for every model call and tool step of the turn.
type SendOptions struct {
	// Origin is OriginChat (the default), OriginTask or OriginTelegram; tools see it in
	// ToolCall.Origin.
	Origin string
	// HistoryTurns > 0 limits the history sent to the model to the last N turns, this one
	// included, with no summary of older turns (a task run: a fresh context with at most
	// its last few results). 0: the usual history within the context budget.
	HistoryTurns int
	// ExcludeTools names tools this turn is not offered; a call of one is refused as an
	// error result (task runs cannot create tasks).
	ExcludeTools []string
	// MaxTokens > 0 caps the turn's tokens: input (cache reads and writes included) and
	// output across its model calls. Each call's output is capped to what is left, and
	// once the budget is spent no further call starts: the reply ends failed with the
	// code budget_exceeded, keeping its text and steps. A call may overshoot by at most
	// its input, which is known only once it is sent.
	MaxTokens int64
}

// SendMessage stores userID's message in one of their conversations and starts the
// reply, exactly as POST /api/v1/conversations/{id}/messages does (same checks, same
// plan limits). The reply is owned by the server: it goes on whether or not it is
// followed.
func (s *Service) SendMessage(ctx context.Context, userID, conversationID, content string) (*Reply, error) {
	return s.SendMessageWith(ctx, userID, conversationID, content, SendOptions{})
}

// SendMessageWith is SendMessage with options for the turn.
func (s *Service) SendMessageWith(ctx context.Context, userID, conversationID, content string, opts SendOptions) (*Reply, error) {
	switch opts.Origin {
	case "", OriginChat, OriginTask, OriginTelegram:
	default:
		return nil, fmt.Errorf("chat: send: unknown origin %q", opts.Origin)
	}
	if opts.HistoryTurns < 0 || opts.MaxTokens < 0 {
		return nil, fmt.Errorf("chat: send: negative history turns or token budget")
	}
	if err := s.checkContent(content); err != nil {
		return nil, err
	}
	rn, err := s.beginReply(ctx, turnInput{kind: turnSend, userID: userID, convID: conversationID, content: content}, opts)
	if err != nil {
		return nil, err
	}
	return &Reply{ID: rn.replyID, ConversationID: rn.convID, s: s, rn: rn}, nil
}

// CreateChannelConversation starts an empty conversation for userID held in a channel
// (ChannelTelegram): the web shows its channel.
func (s *Service) CreateChannelConversation(ctx context.Context, userID, title, channel string) (*Conversation, error) {
	return s.store.CreateChannelConversation(ctx, userID, title, channel)
}

// CreateConversation starts an empty conversation for userID (a feature's own
// conversation, such as a scheduled task's).
func (s *Service) CreateConversation(ctx context.Context, userID, title string) (*Conversation, error) {
	return s.store.CreateConversation(ctx, userID, title)
}

// Follow calls fn with each event of the reply, from the start, until the reply ends (nil),
// ctx ends or fn returns an error (either returned). It never slows the reply down.
func (r *Reply) Follow(ctx context.Context, fn func(ReplyEvent) error) error {
	after := 0
	for {
		evs, wake, finished := r.rn.since(after)
		for _, ev := range evs {
			if err := fn(ReplyEvent{Name: ev.name, Data: json.RawMessage(ev.data), Text: ev.text}); err != nil {
				return err
			}
			after = ev.seq
		}
		if len(evs) > 0 {
			continue
		}
		if finished {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Wait blocks until the reply is stored in its final state and returns it.
func (r *Reply) Wait(ctx context.Context) (*Message, error) {
	select {
	case <-r.rn.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return r.s.store.Message(ctx, r.rn.userID, r.ID)
}

// Stop stops the reply; it keeps its text so far (status stopped).
func (r *Reply) Stop() { r.rn.cancel(errStopped) }
