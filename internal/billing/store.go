package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/usage"
)

// Subscription is Ally's copy of one Stripe subscription, as last read from Stripe.
type Subscription struct {
	ID                string
	UserID            string
	CustomerID        string
	Price             string
	Status            string
	CurrentPeriodEnd  time.Time
	CancelAtPeriodEnd bool
	// PastDueSince is when Ally first saw it past due (zero otherwise).
	PastDueSince time.Time
	FetchedAt    time.Time
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

const subColumns = `stripe_subscription_id, user_id, stripe_customer_id, price, status, current_period_end,
	cancel_at_period_end, past_due_since, fetched_at`

func scanSub(row interface{ Scan(...any) error }) (Subscription, error) {
	var s Subscription
	var end, pastDue sql.NullInt64
	var cancel int
	var fetched int64
	if err := row.Scan(&s.ID, &s.UserID, &s.CustomerID, &s.Price, &s.Status, &end, &cancel, &pastDue, &fetched); err != nil {
		return Subscription{}, err
	}
	s.CurrentPeriodEnd, s.PastDueSince = db.NullTime(end), db.NullTime(pastDue)
	s.CancelAtPeriodEnd, s.FetchedAt = cancel == 1, db.Time(fetched)
	return s, nil
}

// subscriptions returns the user's subscriptions, newest state first.
func subscriptions(ctx context.Context, q querier, userID string) ([]Subscription, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+subColumns+` FROM billing_subscriptions WHERE user_id = $1
		ORDER BY fetched_at DESC, stripe_subscription_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("billing: read subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		s, err := scanSub(rows)
		if err != nil {
			return nil, fmt.Errorf("billing: read subscriptions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// customerID returns the user's Stripe customer, or "" when they have none yet.
func customerID(ctx context.Context, q querier, userID string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT stripe_customer_id FROM billing_customers WHERE user_id = $1`, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("billing: read customer: %w", err)
	}
	return id, nil
}

// customerOwner returns the user of a Stripe customer, or "" when it is not one of Ally's.
func customerOwner(ctx context.Context, q querier, customer string) (string, error) {
	var uid string
	err := q.QueryRowContext(ctx, `SELECT user_id FROM billing_customers WHERE stripe_customer_id = $1`, customer).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("billing: read customer: %w", err)
	}
	return uid, nil
}

// entitled reports whether a subscription in this state grants its plan at now: active or
// trialing, or past due within the grace.
func (s *Service) entitled(sub Subscription, now time.Time) bool {
	switch sub.Status {
	case "active", "trialing":
		return true
	case "past_due":
		return sub.PastDueSince.IsZero() || now.Before(sub.PastDueSince.Add(s.d.Grace))
	}
	return false
}

// planOfPrice returns the plan sold at a Stripe price.
func (s *Service) planOfPrice(price string) (usage.Plan, bool) {
	if price == "" {
		return usage.Plan{}, false
	}
	for _, p := range s.d.Plans {
		if p.StripePrice == price {
			return p, true
		}
	}
	return usage.Plan{}, false
}

// current picks the subscription that decides the user's plan: the first entitled one
// (newest read first), else the newest.
func (s *Service) current(subs []Subscription, now time.Time) (Subscription, bool) {
	for _, sub := range subs {
		if s.entitled(sub, now) {
			if _, ok := s.planOfPrice(sub.Price); ok {
				return sub, true
			}
		}
	}
	if len(subs) > 0 {
		return subs[0], false
	}
	return Subscription{}, false
}

// effectivePlan is the id of the plan the subscriptions grant now, or "" for none.
func (s *Service) effectivePlan(subs []Subscription, now time.Time) string {
	sub, ok := s.current(subs, now)
	if !ok {
		return ""
	}
	p, _ := s.planOfPrice(sub.Price)
	return p.ID
}

// SubscribedPlan returns the id of the plan the user's subscription grants now, or ""
// (billing off, no subscription, or one that lapsed): usage's plan source.
func (s *Service) SubscribedPlan(ctx context.Context, userID string) (string, error) {
	if !s.Enabled() {
		return "", nil
	}
	subs, err := subscriptions(ctx, s.d.DB.R, userID)
	if err != nil {
		return "", err
	}
	return s.effectivePlan(subs, s.now()), nil
}
