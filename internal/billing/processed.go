package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// StripeUse says when Stripe processed the user's data: from the creation of their Stripe
// customer (which received their email address) to the last subscription state read for
// them. ok is false when the user never started a checkout.
func (s *Service) StripeUse(ctx context.Context, userID string) (first, last time.Time, ok bool, err error) {
	var created int64
	var fetched sql.NullInt64
	err = s.d.DB.R.QueryRowContext(ctx, `SELECT c.created_at, (SELECT MAX(fetched_at) FROM billing_subscriptions
		WHERE user_id = c.user_id) FROM billing_customers c WHERE c.user_id = $1`, userID).Scan(&created, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, time.Time{}, false, fmt.Errorf("billing: stripe use: %w", err)
	}
	first, last = db.Time(created), db.Time(created)
	if fetched.Valid && fetched.Int64 > created {
		last = db.Time(fetched.Int64)
	}
	return first, last, true, nil
}
