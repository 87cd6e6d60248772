package mail

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// SenderUse is when one outside email sender (resend or smtp) delivered the user's mail.
type SenderUse struct {
	Sender          string
	FirstAt, LastAt time.Time
}

// SendersUsed lists the outside senders that delivered the user's emails, with the first
// and last delivery. Mail kept in the outbox never left Ally and is not listed.
func (s *Service) SendersUsed(ctx context.Context, userID string) ([]SenderUse, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT sender, MIN(sent_at), MAX(sent_at) FROM mail_outbox
		WHERE user_id = $1 AND status = $2 AND sent_at IS NOT NULL GROUP BY sender ORDER BY sender`, userID, StatusSent)
	if err != nil {
		return nil, fmt.Errorf("mail: senders used: %w", err)
	}
	defer rows.Close()
	var out []SenderUse
	for rows.Next() {
		var u SenderUse
		var first, last int64
		if err := rows.Scan(&u.Sender, &first, &last); err != nil {
			return nil, fmt.Errorf("mail: senders used: %w", err)
		}
		u.FirstAt, u.LastAt = db.Time(first), db.Time(last)
		out = append(out, u)
	}
	return out, rows.Err()
}
