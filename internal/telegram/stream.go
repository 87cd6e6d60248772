package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"myally.app/ally/internal/chat"
)

// maxSendAttempts bounds retries of one call after 429s and network errors.
const maxSendAttempts = 5

// typingEvery renews the typing action (Telegram shows it for about five seconds).
const typingEvery = 4 * time.Second

func retryDelay(attempt int) time.Duration {
	d := 200 * time.Millisecond << attempt
	if d > 10*time.Second {
		d = 10 * time.Second
	}
	return d
}

// How a call is paced.
type pacing int

const (
	// mustSend waits for the bot-wide limit and retry_after (final text, notices).
	mustSend pacing = iota
	// progress also keeps the chat's pace, and is skipped rather than waited for.
	progress
	// action (typing) skips when held back, but ignores the chat's pace.
	action
)

// call runs one Bot API call to chatID once the limits allow, retrying after a 429 as
// told (retry_after) and after network errors. Progress updates and actions are skipped
// (false, nil) rather than waited for when the limits hold them back. A 403 marks the
// link broken.
func (s *Service) call(ctx context.Context, chatID int64, pace pacing, fn func(context.Context) error) (bool, error) {
	paced := pace != mustSend
	for attempt := 0; ; attempt++ {
		if d := s.limits.wait(chatID, s.now(), pace == progress, pace != action); d > 0 {
			if paced {
				return false, nil
			}
			if err := s.wait(ctx, d); err != nil {
				return false, err
			}
			attempt--
			continue
		}
		err := fn(ctx)
		var tooMany *bot.TooManyRequestsError
		switch {
		case err == nil:
			return true, nil
		case errors.As(err, &tooMany):
			wait := time.Duration(tooMany.RetryAfter) * time.Second
			if wait <= 0 {
				wait = time.Second
			}
			s.limits.retryAfter(chatID, s.now(), wait)
			if paced {
				return false, nil
			}
		case errors.Is(err, bot.ErrorForbidden):
			if merr := s.markBroken(ctx, chatID); merr != nil {
				s.d.Logger.Warn("telegram: mark broken", "error", merr)
			}
			s.d.Logger.Info("telegram: the chat refuses the bot; link marked broken")
			return false, err
		case errors.Is(err, bot.ErrorBadRequest), errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound):
			return false, err
		case ctx.Err() != nil:
			return false, ctx.Err()
		default:
			if paced {
				return false, nil
			}
			if attempt+1 >= maxSendAttempts {
				return false, err
			}
			if err := s.wait(ctx, retryDelay(attempt)); err != nil {
				return false, err
			}
		}
		if attempt+1 >= maxSendAttempts {
			return false, err
		}
	}
}

// say sends a short plain-text message; failures are logged without the text.
func (s *Service) say(ctx context.Context, chatID int64, text string) {
	if _, err := s.sendText(ctx, chatID, text, false); err != nil && ctx.Err() == nil {
		s.d.Logger.Warn("telegram: send failed", "error", safeErr(err))
	}
}

// sendText sends a message (HTML when html, else plain) and returns its id.
func (s *Service) sendText(ctx context.Context, chatID int64, text string, html bool) (int, error) {
	var id int
	p := &bot.SendMessageParams{ChatID: chatID, Text: text}
	if html {
		p.ParseMode = models.ParseModeHTML
	}
	_, err := s.call(ctx, chatID, mustSend, func(ctx context.Context) error {
		m, err := s.bot.SendMessage(ctx, p)
		if err == nil {
			id = m.ID
		}
		return err
	})
	return id, err
}

func (s *Service) typing(ctx context.Context, chatID int64) {
	_, _ = s.call(ctx, chatID, action, func(ctx context.Context) error {
		_, err := s.bot.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: chatID, Action: models.ChatActionTyping})
		return err
	})
}

// safeErr keeps an error's kind, not a text it may quote.
func safeErr(err error) string {
	for _, e := range []error{bot.ErrorForbidden, bot.ErrorBadRequest, bot.ErrorUnauthorized, bot.ErrorNotFound, bot.ErrorTooManyRequests, context.Canceled} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	var tm *bot.TooManyRequestsError
	if errors.As(err, &tm) {
		return "too many requests"
	}
	return "network or server error"
}

// streamer shows a reply in a chat while it is generated: a draft (sendMessageDraft) in
// a private chat, or, where drafts are refused, a message edited as the text grows.
type streamer struct {
	s        *Service
	chatID   int64
	draftID  string
	drafts   bool
	msgID    int
	shown    string
	lastType time.Time
}

// stream follows the reply, showing its text progressively, then sends the final text.
func (s *Service) stream(ctx context.Context, chatID int64, reply *chat.Reply) {
	h := fnv.New64a()
	h.Write([]byte(reply.ID))
	st := &streamer{s: s, chatID: chatID, draftID: "1" + strings.TrimLeft(uintString(h.Sum64()), "0"), drafts: chatID > 0, lastType: s.now()}
	var text strings.Builder
	status, errMsg := "", ""
	err := reply.Follow(ctx, func(ev chat.ReplyEvent) error {
		switch ev.Name {
		case "delta":
			text.WriteString(ev.Text)
			st.progress(ctx, text.String())
		case "tool_call":
			st.keepTyping(ctx)
		case "error":
			var e struct{ Message string }
			_ = json.Unmarshal(ev.Data, &e)
			errMsg = e.Message
		case "message_end":
			var e struct{ Status string }
			_ = json.Unmarshal(ev.Data, &e)
			status = e.Status
		}
		return nil
	})
	if err != nil {
		return // shutting down: the reply goes on in chat and is on the web
	}
	final := strings.TrimSpace(text.String())
	if status != "complete" {
		note := "(The reply was cut short.)"
		if errMsg != "" {
			note = "(" + errMsg + ")"
		}
		if final == "" {
			final = strings.Trim(note, "()")
		} else {
			final += "\n\n" + note
		}
	}
	if final == "" {
		final = "(No reply.)"
	}
	st.finish(ctx, final)
	s.limits.forget(chatID, s.now())
}

func uintString(n uint64) string {
	const digits = "0123456789"
	var b [20]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = digits[n%10]
		n /= 10
	}
	return string(b[i:])
}

// progress shows the text so far, if the chat's pace allows an update now.
func (st *streamer) progress(ctx context.Context, md string) {
	part := Split(md, MaxMessage)[0]
	html := ToHTML(part)
	if html == st.shown || strings.TrimSpace(part) == "" {
		return
	}
	s := st.s
	if st.drafts {
		ok, err := s.call(ctx, st.chatID, progress, func(ctx context.Context) error {
			_, err := s.bot.SendMessageDraft(ctx, &bot.SendMessageDraftParams{ChatID: st.chatID, DraftID: st.draftID, Text: html, ParseMode: models.ParseModeHTML})
			return err
		})
		if err != nil && errors.Is(err, bot.ErrorBadRequest) {
			st.drafts = false // drafts refused here: edit a message instead
		} else {
			if ok {
				st.shown = html
			}
			return
		}
	}
	if st.msgID == 0 {
		_, _ = s.call(ctx, st.chatID, progress, func(ctx context.Context) error {
			m, err := s.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: st.chatID, Text: html, ParseMode: models.ParseModeHTML})
			if err == nil {
				st.msgID, st.shown = m.ID, html
			}
			return err
		})
		return
	}
	_, _ = s.call(ctx, st.chatID, progress, func(ctx context.Context) error {
		_, err := s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: st.chatID, MessageID: st.msgID, Text: html, ParseMode: models.ParseModeHTML})
		if err == nil || notModified(err) {
			st.shown = html
			return nil
		}
		return err
	})
}

func (st *streamer) keepTyping(ctx context.Context) {
	if st.s.now().Sub(st.lastType) >= typingEvery {
		st.lastType = st.s.now()
		st.s.typing(ctx, st.chatID)
	}
}

func notModified(err error) bool {
	return errors.Is(err, bot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified")
}

// finish sends the final text, split at Telegram's limit: the first piece replaces the
// edited message (if any), the rest follow as new messages.
func (st *streamer) finish(ctx context.Context, md string) {
	s := st.s
	for i, part := range Split(md, MaxMessage) {
		html := ToHTML(part)
		if i == 0 && st.msgID != 0 {
			_, err := s.call(ctx, st.chatID, mustSend, func(ctx context.Context) error {
				_, err := s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: st.chatID, MessageID: st.msgID, Text: html, ParseMode: models.ParseModeHTML})
				if notModified(err) {
					return nil
				}
				return err
			})
			if err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("telegram: final edit failed", "error", safeErr(err))
			}
			continue
		}
		if _, err := s.sendText(ctx, st.chatID, html, true); err != nil {
			if ctx.Err() == nil {
				s.d.Logger.Warn("telegram: final send failed", "error", safeErr(err))
			}
			return
		}
	}
}
