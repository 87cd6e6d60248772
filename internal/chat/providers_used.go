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
