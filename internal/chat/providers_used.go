package chat

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// ProviderUse is when one model provider produced the user's replies.
type ProviderUse struct {
	Provider        string
	FirstAt, LastAt time.Time
}

// ProvidersUsed lists the model providers that produced the user's stored replies, with
// the first and last time (Settings > Privacy: the third parties that processed them).
func (s *Service) ProvidersUsed(ctx context.Context, userID string) ([]ProviderUse, error) {
	rows, err := s.store.db.R.QueryContext(ctx, `SELECT provider, MIN(created_at), MAX(created_at) FROM messages
		WHERE user_id = $1 AND provider <> '' GROUP BY provider ORDER BY provider`, userID)
	if err != nil {
		return nil, fmt.Errorf("chat: providers used: %w", err)
	}
	defer rows.Close()
	var out []ProviderUse
	for rows.Next() {
		var u ProviderUse
		var first, last int64
		if err := rows.Scan(&u.Provider, &first, &last); err != nil {
			return nil, fmt.Errorf("chat: providers used: %w", err)
		}
		u.FirstAt, u.LastAt = db.Time(first), db.Time(last)
		out = append(out, u)
	}
	return out, rows.Err()
}

// ChannelUse is when the user's messages went through a channel other than the web.
type ChannelUse struct {
	Channel         string
	FirstAt, LastAt time.Time
}

// ChannelsUsed lists the channels (telegram) of the user's conversations with the first
// and last message in each: those messages passed through that channel's service.
func (s *Service) ChannelsUsed(ctx context.Context, userID string) ([]ChannelUse, error) {
	rows, err := s.store.db.R.QueryContext(ctx, `SELECT c.channel, MIN(m.created_at), MAX(m.created_at)
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.user_id = $1 AND m.user_id = $1 AND c.channel <> '' GROUP BY c.channel ORDER BY c.channel`, userID)
	if err != nil {
		return nil, fmt.Errorf("chat: channels used: %w", err)
	}
	defer rows.Close()
	var out []ChannelUse
	for rows.Next() {
		var u ChannelUse
		var first, last int64
		if err := rows.Scan(&u.Channel, &first, &last); err != nil {
			return nil, fmt.Errorf("chat: channels used: %w", err)
		}
		u.FirstAt, u.LastAt = db.Time(first), db.Time(last)
		out = append(out, u)
	}
	return out, rows.Err()
}
