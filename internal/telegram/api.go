package telegram

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Routes registers the Telegram API (§15) and the webhook. Every query is scoped to the
// signed-in user.
//
//	GET    /api/v1/telegram        {enabled, linked, username, linked_at, status, bot}
//	POST   /api/v1/telegram/link   {url, expires_at}: a one-time deep link, 10 minutes
//	DELETE /api/v1/telegram        unlink (the chat is told)
//	POST   /webhooks/telegram      updates (secret header, else 401)
func (s *Service) Routes(mux *http.ServeMux, require func(http.Handler) http.Handler) {
	mux.Handle("GET /api/v1/telegram", require(http.HandlerFunc(s.handleGet)))
	mux.Handle("POST /api/v1/telegram/link", require(http.HandlerFunc(s.handleLink)))
	mux.Handle("DELETE /api/v1/telegram", require(http.HandlerFunc(s.handleUnlink)))
	mux.HandleFunc("POST /webhooks/telegram", s.Webhook)
}

// Status is GET /api/v1/telegram.
type Status struct {
	// Enabled is whether this server has a Telegram bot.
	Enabled bool `json:"enabled"`
	Linked  bool `json:"linked"`
	// Username is the linked chat's Telegram username (may be empty).
	Username string     `json:"username"`
	LinkedAt *time.Time `json:"linked_at"`
	// Status is "linked", "broken" (the chat blocked the bot) or "" (not linked).
	Status string `json:"status"`
	// Bot is the bot's username, for "open @bot in Telegram".
	Bot string `json:"bot"`
}

func owner(r *http.Request) (string, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok || p.UserID == "" {
		return "", errs.E(errs.Unauthenticated, "sign in first")
	}
	return p.UserID, nil
}

// StatusOf returns userID's Telegram status.
func (s *Service) StatusOf(ctx context.Context, userID string) (Status, error) {
	st := Status{Enabled: s.Enabled(), Bot: s.Username()}
	l, err := s.linkByUser(ctx, userID)
	if err == errNotLinked {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	at := l.LinkedAt
	st.Linked, st.Username, st.LinkedAt, st.Status = true, l.Username, &at, l.Status
	return st, nil
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	st, err := s.StatusOf(r.Context(), uid)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, st)
}

// LinkURL is POST /api/v1/telegram/link.
type LinkURL struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateLink makes a one-time deep link for userID, replacing an unused one.
func (s *Service) CreateLink(ctx context.Context, userID string) (LinkURL, error) {
	if !s.Enabled() || s.Username() == "" {
		return LinkURL{}, errs.E(errs.Unavailable, "Telegram is not set up on this server")
	}
	if s.d.AllowLink != nil {
		if err := s.d.AllowLink(ctx, userID); err != nil {
			return LinkURL{}, err
		}
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return LinkURL{}, fmt.Errorf("telegram: token: %w", err)
	}
	// 32 characters of A-Z a-z 0-9 _ -: what a deep link's start parameter allows.
	tok := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	if err := s.createLinkToken(ctx, userID, tok, now); err != nil {
		return LinkURL{}, err
	}
	u := "https://t.me/" + url.PathEscape(s.Username()) + "?start=" + tok
	return LinkURL{URL: u, ExpiresAt: now.Add(LinkTTL).UTC().Truncate(time.Millisecond)}, nil
}

func (s *Service) handleLink(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	l, err := s.CreateLink(r.Context(), uid)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, l)
}

func (s *Service) handleUnlink(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	err = s.d.DB.Tx(r.Context(), func(tx *sql.Tx) error { return s.unlinkAndTell(r.Context(), tx, uid) })
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}

// Unlink removes userID's link (the /stop command: the chat is answered directly).
func (s *Service) Unlink(ctx context.Context, userID string) error {
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := unlinkTx(ctx, tx, userID)
		return err
	})
}

// unlinkAndTell removes the link inside tx and queues, in the same transaction, the job
// that tells the chat (no network call inside the transaction).
func (s *Service) unlinkAndTell(ctx context.Context, tx *sql.Tx, userID string) error {
	chatID, err := unlinkTx(ctx, tx, userID)
	if err != nil {
		return err
	}
	return s.tell(ctx, tx, userID, chatID)
}

// tell queues the goodbye job in tx.
func (s *Service) tell(ctx context.Context, tx *sql.Tx, userID string, chatID int64) error {
	if chatID == 0 || !s.Enabled() {
		return nil
	}
	q := s.d.Queue()
	if q == nil {
		return fmt.Errorf("telegram: no job queue")
	}
	if _, err := q.Insert(ctx, tx, GoodbyeArgs{UserID: userID, ChatID: chatID}, nil); err != nil {
		return fmt.Errorf("telegram: queue goodbye: %w", err)
	}
	return nil
}

// UnlinkForDeletion is the privacy OnDelete hook: a deleted account's chat is unlinked
// in the deletion's transaction and told so by a job. The rows stay, marked unlinked,
// until the purge deletes them with the rest of the account (and scrubs their bytes);
// recovering the account does not link the chat again.
func (s *Service) UnlinkForDeletion(ctx context.Context, tx *sql.Tx, userID string) error {
	chatID, err := unlinkForDeletionTx(ctx, tx, userID)
	if err != nil {
		return err
	}
	return s.tell(ctx, tx, userID, chatID)
}
