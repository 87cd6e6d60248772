package mail

import (
	"context"
	"fmt"

	"myally.app/ally/internal/db"
)

// SendersUsed lists the outside senders (resend, smtp) that delivered the user's emails,
// with the first and last delivery. Mail kept in the outbox never left Ally and is not
// listed.
func (s *Service) SendersUsed(ctx context.Context, userID string) ([]db.Span, error) {
	out, err := db.Spans(ctx, s.db.R, `SELECT sender, MIN(sent_at), MAX(sent_at) FROM mail_outbox
		WHERE user_id = $1 AND status = $2 AND sent_at IS NOT NULL GROUP BY sender ORDER BY sender`, userID, StatusSent)
	if err != nil {
		return nil, fmt.Errorf("mail: senders used: %w", err)
	}
	return out, nil
}
