package telegram

import (
	"context"
	"errors"
	"strings"
	"time"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/errs"
)

// What the bot says, in plain words.
const (
	textInstructions = "Hi! I'm Ally, your personal assistant. To talk to me here, link this chat to your Ally account: " +
		"open Settings > Telegram on the web, press \"Link Telegram\", and follow the link (or scan the QR code)."
	textBadToken    = "That link has expired or was already used. Open Settings > Telegram on the web for a new one."
	textChatTaken   = "This chat is already linked to another Ally account. Unlink it there first (send /stop)."
	textLinked      = "Linked! This chat now talks to your Ally assistant, the same one as on the web. Send me a message to start. /new starts a new conversation, /stop unlinks, /help explains."
	textAlready     = "This chat is already linked to your Ally account. Send me a message, or /help for the commands."
	textHelp        = "I'm your Ally assistant, the same one as on the web: I remember what you asked me to, and this conversation appears on the web too.\n\n/new starts a new conversation\n/stop unlinks this chat from your account\n/help shows this message\n\nI read text messages only for now."
	textNew         = "Started a new conversation."
	textStopped     = "Unlinked. This chat no longer talks to your Ally account; link it again from Settings > Telegram."
	textUnsupported = "I can read text only for now: please send your message as text."
	textEdited      = "I answer new messages only: please send the changed message again."
	textGroup       = "I only talk in private chats, to the person whose account is linked. Message me directly."
	textBusy        = "I'm still answering your previous message; wait for it to finish, then send this one again."
	textFailed      = "Something went wrong on my side and I couldn't answer. Please try again in a moment."
	textUnlinkedWeb = "This chat was unlinked from your Ally account."
)

// conversationTitle names the conversation a linked chat talks in.
const conversationTitle = "Telegram"

// process handles one item of a chat's queue.
func (s *Service) process(ctx context.Context, w work) {
	switch w.kind {
	case workInstruct:
		s.say(ctx, w.chatID, textInstructions)
	case workGroup:
		s.say(ctx, w.chatID, textGroup)
	case workStart:
		s.link(ctx, w)
	default:
		if ok, err := s.claimUpdate(ctx, w.updateID); err != nil || !ok {
			if err != nil {
				s.d.Logger.Warn("telegram: claim update", "error", err)
			}
			return // handled elsewhere (another instance, or recovery)
		}
		if w.broken {
			if err := s.markWorking(ctx, w.chatID); err != nil {
				s.d.Logger.Warn("telegram: mark working", "error", err)
			}
		}
		switch w.kind {
		case workUnsupported:
			s.say(ctx, w.chatID, textUnsupported)
		case workEdited:
			s.say(ctx, w.chatID, textEdited)
		default:
			s.text(ctx, w)
		}
	}
}

// link redeems a /start token from a chat not linked yet.
func (s *Service) link(ctx context.Context, w work) {
	if l, err := s.linkByChat(ctx, w.chatID); err == nil && l.Status != "" {
		s.say(ctx, w.chatID, textAlready) // a duplicate /start, or linked meanwhile
		return
	}
	_, err := s.redeem(ctx, w.text, w.chatID, w.username, func(userID string) (string, error) {
		c, err := s.d.Chat.CreateChannelConversation(ctx, userID, conversationTitle, chat.ChannelTelegram)
		if err != nil {
			return "", err
		}
		return c.ID, nil
	}, s.now())
	switch {
	case errors.Is(err, errBadToken):
		s.say(ctx, w.chatID, textBadToken)
	case errors.Is(err, errChatTaken):
		s.say(ctx, w.chatID, textChatTaken)
	case err != nil:
		s.d.Logger.Error("telegram: link", "error", err)
		s.say(ctx, w.chatID, textFailed)
	default:
		s.d.Logger.Info("telegram: chat linked")
		s.say(ctx, w.chatID, textLinked)
	}
}

// text handles a linked chat's text: a command, or a message for the assistant.
func (s *Service) text(ctx context.Context, w work) {
	cmd, _, _ := strings.Cut(strings.TrimSpace(w.text), " ")
	cmd, _, _ = strings.Cut(cmd, "@")
	switch cmd {
	case "/start":
		s.say(ctx, w.chatID, textAlready)
		return
	case "/help":
		s.say(ctx, w.chatID, textHelp)
		return
	case "/stop":
		if err := s.Unlink(ctx, w.userID); err != nil {
			s.d.Logger.Error("telegram: unlink", "error", err)
			s.say(ctx, w.chatID, textFailed)
			return
		}
		s.say(ctx, w.chatID, textStopped)
		return
	case "/new":
		if _, err := s.newConversation(ctx, w.userID); err != nil {
			s.d.Logger.Error("telegram: new conversation", "error", err)
			s.say(ctx, w.chatID, textFailed)
			return
		}
		s.say(ctx, w.chatID, textNew)
		return
	}
	s.converse(ctx, w)
}

func (s *Service) newConversation(ctx context.Context, userID string) (string, error) {
	c, err := s.d.Chat.CreateChannelConversation(ctx, userID, conversationTitle, chat.ChannelTelegram)
	if err != nil {
		return "", err
	}
	return c.ID, s.setConversation(ctx, userID, c.ID)
}

// converse sends the message through chat (the same assistant, limits and all) and
// streams the reply into the chat.
func (s *Service) converse(ctx context.Context, w work) {
	link, err := s.linkByUser(ctx, w.userID)
	if err != nil {
		return // unlinked meanwhile
	}
	s.typing(ctx, w.chatID)
	send := func(convID string) (*chat.Reply, error) {
		return s.d.Chat.SendMessageWith(ctx, w.userID, convID, w.text, chat.SendOptions{Origin: chat.OriginTelegram})
	}
	reply, err := send(link.ConversationID)
	if errs.Is(err, errs.NotFound) {
		// The conversation was deleted on the web: start another.
		var conv string
		if conv, err = s.newConversation(ctx, w.userID); err == nil {
			reply, err = send(conv)
		}
	}
	if err != nil {
		s.say(ctx, w.chatID, plainError(err))
		return
	}
	s.stream(ctx, w.chatID, reply)
}

// plainError says why a message was not answered, in words fit for the chat.
func plainError(err error) string {
	var e *errs.Error
	if !errors.As(err, &e) {
		return textFailed
	}
	switch e.Code {
	case errs.Conflict:
		return textBusy
	case errs.Internal:
		return textFailed
	}
	if e.Message == "" {
		return textFailed
	}
	return e.Message
}

// recoverPending answers updates stored but never handled (an instance stopped between
// acknowledging and answering them), oldest first, once they are a minute old.
func (s *Service) recoverPending(ctx context.Context) {
	if err := s.pruneUpdates(ctx); err != nil && ctx.Err() == nil {
		s.d.Logger.Warn("telegram: prune updates", "error", err)
	}
	rows, err := s.d.DB.R.QueryContext(ctx, `SELECT update_id, user_id, chat_id, text FROM telegram_updates
		WHERE handled_at IS NULL AND received_at < $1 ORDER BY update_id`, s.now().Add(-time.Minute).UnixMilli())
	if err != nil {
		if ctx.Err() == nil {
			s.d.Logger.Warn("telegram: read pending updates", "error", err)
		}
		return
	}
	defer rows.Close()
	for rows.Next() {
		w := work{kind: workText}
		if err := rows.Scan(&w.updateID, &w.userID, &w.chatID, &w.text); err != nil {
			return
		}
		if w.text == "" {
			w.kind = workUnsupported
		}
		s.disp.enqueue(w)
	}
}
