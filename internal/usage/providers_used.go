package usage

import (
	"context"
	"fmt"

	"myally.app/ally/internal/db"
)

// ProvidersUsed lists the model providers called for the user (replies, task runs,
// summaries and any background work the ledger holds), with the first and last call.
func (s *Service) ProvidersUsed(ctx context.Context, userID string) ([]db.Span, error) {
	out, err := db.Spans(ctx, s.db.R, `SELECT provider, MIN(created_at), MAX(created_at) FROM usage_events
		WHERE user_id = $1 GROUP BY provider ORDER BY provider`, userID)
	if err != nil {
		return nil, fmt.Errorf("usage: providers used: %w", err)
	}
	return out, nil
}
