package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v85"

	"myally.app/ally/internal/db"
)

// fetch reads a subscription's current state from Stripe: the one source of truth, so
// what an event carried (perhaps stale, perhaps out of order) never decides the plan.
func (s *Service) fetch(ctx context.Context, id string) (Subscription, error) {
	started := s.now()
	sub, err := s.stripe.V1Subscriptions.Retrieve(ctx, id, nil)
	if err != nil {
		return Subscription{}, fmt.Errorf("billing: retrieve subscription %s: %w", id, err)
	}
	return fromStripe(sub, started), nil
}

// fromStripe converts Stripe's subscription, read at fetchedAt.
func fromStripe(sub *stripe.Subscription, fetchedAt time.Time) Subscription {
	out := Subscription{ID: sub.ID, Status: string(sub.Status), CancelAtPeriodEnd: sub.CancelAtPeriodEnd,
		FetchedAt: fetchedAt}
	if sub.Customer != nil {
		out.CustomerID = sub.Customer.ID
	}
	// Ally sells one price per subscription; since API 2025-03-31 the period is per item.
	if sub.Items != nil && len(sub.Items.Data) > 0 {
		it := sub.Items.Data[0]
		if it.Price != nil {
			out.Price = it.Price.ID
		}
		if it.CurrentPeriodEnd > 0 {
			out.CurrentPeriodEnd = db.Time(it.CurrentPeriodEnd * 1000)
		}
	}
	return out
}

// applyTx stores a subscription state read from Stripe, inside tx, for the user whose
// customer it belongs to; a state read before the one stored is ignored. It then enforces
// the user's effective plan. It reports false when the customer is not one of Ally's.
func (s *Service) applyTx(ctx context.Context, tx *sql.Tx, st Subscription) (bool, error) {
	uid, err := customerOwner(ctx, tx, st.CustomerID)
	if err != nil || uid == "" {
		return false, err
	}
	st.UserID = uid
	prev, err := scanSub(tx.QueryRowContext(ctx, `SELECT `+subColumns+` FROM billing_subscriptions
		WHERE stripe_subscription_id = $1`, st.ID))
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("billing: read subscription: %w", err)
	}
	if found && prev.UserID != uid {
		return false, fmt.Errorf("billing: subscription %s changed customer", st.ID)
	}
	if found && prev.FetchedAt.After(st.FetchedAt) {
		return true, s.enforceTx(ctx, tx, uid)
	}
	// The grace runs from the first time Ally saw the subscription past due.
	switch {
	case st.Status != "past_due":
		st.PastDueSince = time.Time{}
	case found && !prev.PastDueSince.IsZero():
		st.PastDueSince = prev.PastDueSince
	default:
		st.PastDueSince = s.now()
	}
	now := db.Millis(s.now())
	if _, err := tx.ExecContext(ctx, `INSERT INTO billing_subscriptions (`+subColumns+`, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (stripe_subscription_id) DO UPDATE SET price = excluded.price, status = excluded.status,
			current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
			past_due_since = excluded.past_due_since, fetched_at = excluded.fetched_at, updated_at = excluded.updated_at`,
		st.ID, uid, st.CustomerID, st.Price, st.Status, db.NullMillis(st.CurrentPeriodEnd), boolInt(st.CancelAtPeriodEnd),
		db.NullMillis(st.PastDueSince), db.Millis(st.FetchedAt), now); err != nil {
		return false, fmt.Errorf("billing: store subscription: %w", err)
	}
	return true, s.enforceTx(ctx, tx, uid)
}

// enforceTx compares the user's effective plan with the one last enforced and, when it
// changed, records it and runs the plan hooks (tasks pause what the plan no longer allows).
func (s *Service) enforceTx(ctx context.Context, tx *sql.Tx, userID string) error {
	subs, err := subscriptions(ctx, tx, userID)
	if err != nil {
		return err
	}
	plan := s.d.Plans.Get(s.effectivePlan(subs, s.now()))
	var enforced string
	err = tx.QueryRowContext(ctx, `SELECT enforced_plan FROM billing_customers WHERE user_id = $1`, userID).Scan(&enforced)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("billing: read enforced plan: %w", err)
	}
	if enforced == plan.ID {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE billing_customers SET enforced_plan = $1 WHERE user_id = $2`, plan.ID, userID); err != nil {
		return fmt.Errorf("billing: record enforced plan: %w", err)
	}
	s.logger.Info("plan changed", "user_id", userID, "plan", plan.ID, "previous", enforced)
	for _, h := range s.planHooks() {
		if err := h(ctx, tx, userID, plan); err != nil {
			return err
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
