package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// WebhookPath is where Telegram posts updates in webhook mode.
const WebhookPath = "/webhooks/telegram"

// maxUpdateBytes bounds one update's body (a text message is at most 4,096 characters).
const maxUpdateBytes = 1 << 20

// work kinds: what to do with one incoming update.
const (
	workText        = "text"        // a linked chat's message or command
	workStart       = "start"       // /start <token> from a chat not linked yet
	workInstruct    = "instruct"    // anything else from a chat not linked: how to link
	workUnsupported = "unsupported" // a linked chat's sticker, photo, …
	workEdited      = "edited"      // a linked chat edited a message
	workGroup       = "group"       // a group, supergroup or channel: refused
)

// work is one update to handle, in its chat's order.
type work struct {
	kind     string
	updateID int64 // 0: not stored (chats not linked)
	chatID   int64
	userID   string
	text     string
	username string
	// broken: the link was marked broken; the chat writing again shows it works.
	broken bool
}

// Webhook is POST /webhooks/telegram: the secret header is checked in constant time
// (anything else is 401 unauthenticated, with nothing read, stored or logged but the
// status), then the
// update is stored and acknowledged; the reply runs in the background.
func (s *Service) Webhook(w http.ResponseWriter, r *http.Request) {
	if !s.Enabled() {
		httpx.ErrorCode(w, r, errs.NotFound, "Telegram is not set up on this server")
		return
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if s.d.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.d.WebhookSecret)) != 1 {
		httpx.ErrorCode(w, r, errs.Unauthenticated, "missing or wrong secret token")
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
	if err != nil {
		httpx.ErrorCode(w, r, errs.TooLarge, "the update is too large")
		return
	}
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil || u.ID <= 0 {
		httpx.ErrorCode(w, r, errs.Invalid, "the body is not a Telegram update")
		return
	}
	if err := s.ingest(r.Context(), &u); err != nil {
		// Telegram retries a failed delivery: the update is not lost.
		httpx.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// polled receives an update from getUpdates (the polling leader).
func (s *Service) polled(ctx context.Context, _ *bot.Bot, u *models.Update) {
	for attempt := 0; ; attempt++ {
		err := s.ingest(ctx, u)
		if err == nil || ctx.Err() != nil {
			return
		}
		s.d.Logger.Warn("telegram: storing a polled update failed", "error", err, "attempt", attempt)
		if s.wait(ctx, retryDelay(attempt)) != nil {
			return
		}
	}
}

// ingest classifies an update, stores it if its chat is linked (ignoring a duplicate)
// and queues it for its chat. Nothing of a chat that is not linked is stored.
func (s *Service) ingest(ctx context.Context, u *models.Update) error {
	msg, kind := u.Message, workText
	if msg == nil && u.EditedMessage != nil {
		msg, kind = u.EditedMessage, workEdited
	}
	if msg == nil {
		return nil // other kinds (reactions, member changes, …) need no answer
	}
	if msg.Chat.Type != models.ChatTypePrivate {
		if kind == workText && strings.HasPrefix(msg.Text, "/") {
			s.disp.enqueue(work{kind: workGroup, chatID: msg.Chat.ID})
		}
		return nil
	}
	link, err := s.linkByChat(ctx, msg.Chat.ID)
	if err == errNotLinked {
		switch tok, ok := startToken(msg.Text); {
		case kind == workEdited:
		case ok:
			s.disp.enqueue(work{kind: workStart, chatID: msg.Chat.ID, text: tok, username: msg.Chat.Username})
		default:
			s.disp.enqueue(work{kind: workInstruct, chatID: msg.Chat.ID})
		}
		return nil
	}
	if err != nil {
		return err
	}
	text := msg.Text
	if kind == workText && text == "" {
		kind = workUnsupported
	}
	if kind != workText {
		text = ""
	}
	fresh, err := s.storeUpdate(ctx, u.ID, link.UserID, msg.Chat.ID, text)
	if err != nil || !fresh {
		return err
	}
	s.disp.enqueue(work{kind: kind, updateID: u.ID, chatID: msg.Chat.ID, userID: link.UserID, text: text, username: msg.Chat.Username,
		broken: link.Status == statusBroken})
	return nil
}

// startToken returns the token of "/start <token>" (also "/start@bot <token>").
func startToken(text string) (string, bool) {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(text), " ")
	if c, _, _ := strings.Cut(cmd, "@"); c != "/start" {
		return "", false
	}
	arg = strings.TrimSpace(arg)
	return arg, arg != ""
}
