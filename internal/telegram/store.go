package telegram

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Link is a user's linked Telegram chat.
type Link struct {
	UserID, Username, ConversationID, Status string
	ChatID                                   int64
	LinkedAt                                 time.Time
}

// Link statuses: broken means Telegram refused to deliver (the user blocked the bot).
const (
	statusLinked = "linked"
	statusBroken = "broken"
	// statusUnlinked is a deleted account's link: it no longer links anything, and the
	// row waits for the account's purge (which also scrubs its bytes from the files).
	statusUnlinked = "unlinked"
)

// errNotLinked is a chat or user with no link.
var errNotLinked = errs.NotFoundf("Telegram is not linked")

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

const linkColumns = `user_id, chat_id, username, conversation_id, status, linked_at`

func scanLink(row interface{ Scan(...any) error }) (*Link, error) {
	var l Link
	var at int64
	if err := row.Scan(&l.UserID, &l.ChatID, &l.Username, &l.ConversationID, &l.Status, &at); err != nil {
		return nil, err
	}
	l.LinkedAt = db.Time(at)
	return &l, nil
}

// linkByUser reads userID's link.
func (s *Service) linkByUser(ctx context.Context, userID string) (*Link, error) {
	l, err := scanLink(s.d.DB.R.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM telegram_links WHERE user_id = $1 AND status <> 'unlinked'`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotLinked
	}
	if err != nil {
		return nil, fmt.Errorf("telegram: read link: %w", err)
	}
	return l, nil
}

// linkByChat reads the link of a chat.
func (s *Service) linkByChat(ctx context.Context, chatID int64) (*Link, error) {
	l, err := scanLink(s.d.DB.R.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM telegram_links WHERE chat_id = $1 AND status <> 'unlinked'`, chatID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotLinked
	}
	if err != nil {
		return nil, fmt.Errorf("telegram: read link: %w", err)
	}
	return l, nil
}

// createLinkToken replaces userID's pending link tokens with a new one.
func (s *Service) createLinkToken(ctx context.Context, userID, token string, now time.Time) error {
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM telegram_link_tokens WHERE user_id = $1 OR expires_at < $2`, userID, db.Millis(now)); err != nil {
			return fmt.Errorf("telegram: link token: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO telegram_link_tokens (token_hash, user_id, bot, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)`,
			hashToken(token), userID, s.Username(), db.Millis(now.Add(LinkTTL)), db.Millis(now)); err != nil {
			return fmt.Errorf("telegram: link token: %w", err)
		}
		return nil
	})
}

// errBadToken is a /start token that is unknown, used or expired.
var errBadToken = errors.New("telegram: link token unknown or expired")

// errChatTaken is a chat already linked to another account.
var errChatTaken = errors.New("telegram: chat linked to another account")

// redeem spends a link token for chatID: the token's user is linked to the chat (replacing
// a previous chat of theirs) in the conversation convID.
func (s *Service) redeem(ctx context.Context, token string, chatID int64, username string, newConv func(userID string) (string, error), now time.Time) (*Link, error) {
	var userID string
	err := s.d.DB.R.QueryRowContext(ctx, `SELECT user_id FROM telegram_link_tokens WHERE token_hash = $1 AND expires_at >= $2 AND bot = $3`,
		hashToken(token), db.Millis(now), s.Username()).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("telegram: redeem: %w", err)
	}
	if other, err := s.linkByChat(ctx, chatID); err == nil && other.UserID != userID {
		return nil, errChatTaken
	}
	convID, err := newConv(userID)
	if err != nil {
		return nil, err
	}
	l := &Link{UserID: userID, ChatID: chatID, Username: username, ConversationID: convID, Status: statusLinked, LinkedAt: now.UTC().Truncate(time.Millisecond)}
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM telegram_link_tokens WHERE token_hash = $1 AND expires_at >= $2`, hashToken(token), db.Millis(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errBadToken // spent by a concurrent /start
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM telegram_links WHERE user_id = $1 OR chat_id = $2`, userID, chatID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO telegram_links (user_id, chat_id, username, conversation_id, status, linked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			userID, chatID, username, convID, statusLinked, db.Millis(now))
		return err
	})
	if errors.Is(err, errBadToken) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("telegram: redeem: %w", err)
	}
	return l, nil
}

// unlink deletes userID's link and the updates kept for it; it reports the chat that was
// linked (0: none).
func unlinkTx(ctx context.Context, tx *sql.Tx, userID string) (int64, error) {
	var chatID int64
	err := tx.QueryRowContext(ctx, `SELECT chat_id FROM telegram_links WHERE user_id = $1`, userID).Scan(&chatID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("telegram: unlink: %w", err)
	}
	for _, q := range []string{`DELETE FROM telegram_links WHERE user_id = $1`, `DELETE FROM telegram_updates WHERE user_id = $1`,
		`DELETE FROM telegram_link_tokens WHERE user_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return 0, fmt.Errorf("telegram: unlink: %w", err)
		}
	}
	return chatID, nil
}

// unlinkForDeletionTx marks a deleted account's link unlinked and its link tokens spent,
// keeping the rows for the purge; it reports the chat that was linked (0: none).
func unlinkForDeletionTx(ctx context.Context, tx *sql.Tx, userID string) (int64, error) {
	var chatID int64
	err := tx.QueryRowContext(ctx, `SELECT chat_id FROM telegram_links WHERE user_id = $1 AND status <> 'unlinked'`, userID).Scan(&chatID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("telegram: unlink: %w", err)
	}
	for _, q := range []string{`UPDATE telegram_links SET status = 'unlinked' WHERE user_id = $1`,
		`UPDATE telegram_link_tokens SET expires_at = 0 WHERE user_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return 0, fmt.Errorf("telegram: unlink: %w", err)
		}
	}
	return chatID, nil
}

// setConversation points the link at a new conversation (/new).
func (s *Service) setConversation(ctx context.Context, userID, convID string) error {
	_, err := s.d.DB.Exec(ctx, `UPDATE telegram_links SET conversation_id = $2 WHERE user_id = $1`, userID, convID)
	if err != nil {
		return fmt.Errorf("telegram: set conversation: %w", err)
	}
	return nil
}

// markBroken records that Telegram refused to deliver to the chat (403).
func (s *Service) markBroken(ctx context.Context, chatID int64) error {
	_, err := s.d.DB.Exec(ctx, `UPDATE telegram_links SET status = $2, broken_at = $3 WHERE chat_id = $1 AND status = 'linked'`,
		chatID, statusBroken, db.Millis(s.now()))
	if err != nil {
		return fmt.Errorf("telegram: mark broken: %w", err)
	}
	return nil
}

// markWorking records that a broken chat wrote again (they unblocked the bot).
func (s *Service) markWorking(ctx context.Context, chatID int64) error {
	_, err := s.d.DB.Exec(ctx, `UPDATE telegram_links SET status = $2, broken_at = NULL WHERE chat_id = $1 AND status = 'broken'`,
		chatID, statusLinked)
	if err != nil {
		return fmt.Errorf("telegram: mark working: %w", err)
	}
	return nil
}

// storeUpdate records a linked chat's update; false when update_id was seen before.
func (s *Service) storeUpdate(ctx context.Context, updateID int64, userID string, chatID int64, text string) (bool, error) {
	n, err := s.d.DB.Exec(ctx, `INSERT INTO telegram_updates (update_id, user_id, chat_id, text, received_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (update_id) DO NOTHING`, updateID, userID, chatID, text, db.Millis(s.now()))
	if err != nil {
		return false, fmt.Errorf("telegram: store update: %w", err)
	}
	return n == 1, nil
}

// claimUpdate marks an update handled and drops its text (chat now holds the message);
// false if another instance or an earlier attempt claimed it.
func (s *Service) claimUpdate(ctx context.Context, updateID int64) (bool, error) {
	n, err := s.d.DB.Exec(ctx, `UPDATE telegram_updates SET handled_at = $2, text = '' WHERE update_id = $1 AND handled_at IS NULL`,
		updateID, db.Millis(s.now()))
	if err != nil {
		return false, fmt.Errorf("telegram: claim update: %w", err)
	}
	return n == 1, nil
}

// pruneUpdates forgets handled updates older than a day: Telegram redelivers for at most
// that long, so the dedup window need not be longer.
func (s *Service) pruneUpdates(ctx context.Context) error {
	_, err := s.d.DB.Exec(ctx, `DELETE FROM telegram_updates WHERE handled_at IS NOT NULL AND received_at < $1`,
		db.Millis(s.now().Add(-24*time.Hour)))
	return err
}
