package usage

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// ProviderUse is when one model provider was called for the user.
type ProviderUse struct {
	Provider        string
	FirstAt, LastAt time.Time
}

// ProvidersUsed lists the model providers called for the user (replies, task runs,
// summaries and any background work the ledger holds), with the first and last call.
func (s *Service) ProvidersUsed(ctx context.Context, userID string) ([]ProviderUse, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT provider, MIN(created_at), MAX(created_at) FROM usage_events
		WHERE user_id = $1 GROUP BY provider ORDER BY provider`, userID)
	if err != nil {
		return nil, fmt.Errorf("usage: providers used: %w", err)
	}
	defer rows.Close()
	var out []ProviderUse
	for rows.Next() {
		var u ProviderUse
		var first, last int64
		if err := rows.Scan(&u.Provider, &first, &last); err != nil {
			return nil, fmt.Errorf("usage: providers used: %w", err)
		}
		u.FirstAt, u.LastAt = db.Time(first), db.Time(last)
		out = append(out, u)
	}
	return out, rows.Err()
}
