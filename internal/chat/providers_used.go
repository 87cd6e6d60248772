package chat

import (
	"context"
	"fmt"

	"myally.app/ally/internal/db"
)

// ProvidersUsed lists the model providers that produced the user's stored replies, with
// the first and last time (Settings > Privacy: the third parties that processed them).
func (s *Service) ProvidersUsed(ctx context.Context, userID string) ([]db.Span, error) {
	out, err := db.Spans(ctx, s.store.db.R, `SELECT provider, MIN(created_at), MAX(created_at) FROM messages
		WHERE user_id = $1 AND provider <> '' GROUP BY provider ORDER BY provider`, userID)
	if err != nil {
		return nil, fmt.Errorf("chat: providers used: %w", err)
	}
	return out, nil
}

// ChannelsUsed lists the channels (telegram) of the user's conversations with the first
// and last message in each: those messages passed through that channel's service.
func (s *Service) ChannelsUsed(ctx context.Context, userID string) ([]db.Span, error) {
	out, err := db.Spans(ctx, s.store.db.R, `SELECT c.channel, MIN(m.created_at), MAX(m.created_at)
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.user_id = $1 AND m.user_id = $1 AND c.channel <> '' GROUP BY c.channel ORDER BY c.channel`, userID)
	if err != nil {
		return nil, fmt.Errorf("chat: channels used: %w", err)
	}
	return out, nil
}
