package billing

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/stripe/stripe-go/v85"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Checkout starts a Stripe Checkout for the plan and returns the page to send the user
// to. The user's Stripe customer is created once, with their email address only, and
// stored; the session carries the user id as client_reference_id. A user who already
// pays is sent to the Portal instead (a conflict naming it), so no one pays twice.
func (s *Service) Checkout(ctx context.Context, userID, planID string) (string, error) {
	if !s.Enabled() {
		return "", errDisabled()
	}
	plan, ok := s.planByID(planID)
	switch {
	case planID == "":
		return "", errs.InvalidField("plan", "choose a plan")
	case !ok:
		return "", errs.InvalidField("plan", "there is no plan %q", planID)
	case plan.StripePrice == "":
		return "", errs.InvalidField("plan", "the %s plan is not sold through Checkout", plan.Name)
	}
	subs, err := subscriptions(ctx, s.d.DB.R, userID)
	if err != nil {
		return "", err
	}
	// A subscription that still exists, paid or not (past due, unpaid, paused), is changed
	// or fixed in the Portal: a second one would charge the user twice.
	for _, sub := range subs {
		if live(sub.Status) {
			e := errs.E(errs.Conflict, "you already have a subscription (%s); change it, cancel it or update your payment details in the billing portal",
				strings.ReplaceAll(sub.Status, "_", " "))
			e.Details = map[string]any{"portal": true}
			return "", e
		}
	}
	if s.d.AllowSession != nil {
		if err := s.d.AllowSession(ctx, userID); err != nil {
			return "", err
		}
	}
	customer, err := s.ensureCustomer(ctx, userID)
	if err != nil {
		return "", err
	}
	params := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer:          stripe.String(customer),
		ClientReferenceID: stripe.String(userID),
		LineItems:         []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(plan.StripePrice), Quantity: stripe.Int64(1)}},
		SuccessURL:        stripe.String(s.d.PublicURL + "/settings/billing?checkout=success"),
		CancelURL:         stripe.String(s.d.PublicURL + "/settings/billing?checkout=cancelled"),
	}
	cs, err := s.stripe.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return "", errs.Wrap(fmt.Errorf("billing: create checkout session: %w", err), errs.Unavailable, "Stripe could not start the checkout; try again in a moment")
	}
	return cs.URL, nil
}

// live reports whether a subscription in this status still exists at Stripe as one the
// user could pay for again (not ended, not an abandoned first payment).
func live(status string) bool {
	switch status {
	case "active", "trialing", "past_due", "unpaid", "paused":
		return true
	}
	return false
}

// Portal returns a Stripe Customer Portal page where the user manages or cancels their
// subscription and payment details.
func (s *Service) Portal(ctx context.Context, userID string) (string, error) {
	if !s.Enabled() {
		return "", errDisabled()
	}
	customer, err := customerID(ctx, s.d.DB.R, userID)
	if err != nil {
		return "", err
	}
	if customer == "" {
		return "", errs.E(errs.Conflict, "you have no subscription to manage yet; choose a plan first")
	}
	if s.d.AllowSession != nil {
		if err := s.d.AllowSession(ctx, userID); err != nil {
			return "", err
		}
	}
	ps, err := s.stripe.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
		Customer:  stripe.String(customer),
		ReturnURL: stripe.String(s.d.PublicURL + "/settings/billing"),
	})
	if err != nil {
		return "", errs.Wrap(fmt.Errorf("billing: create portal session: %w", err), errs.Unavailable, "Stripe could not open the billing portal; try again in a moment")
	}
	return ps.URL, nil
}

// ensureCustomer returns the user's Stripe customer, creating it with their email
// address (and nothing else) the first time. The creation's idempotency key is the user
// id, so two checkouts started at once make one customer.
func (s *Service) ensureCustomer(ctx context.Context, userID string) (string, error) {
	id, err := customerID(ctx, s.d.DB.R, userID)
	if err != nil || id != "" {
		return id, err
	}
	email, err := s.d.Accounts.Email(ctx, userID)
	if err != nil {
		return "", err
	}
	params := &stripe.CustomerCreateParams{Email: stripe.String(email)}
	params.SetIdempotencyKey("ally-customer-" + userID)
	c, err := s.stripe.V1Customers.Create(ctx, params)
	if err != nil {
		return "", errs.Wrap(fmt.Errorf("billing: create customer: %w", err), errs.Unavailable, "Stripe could not be reached; try again in a moment")
	}
	err = s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO billing_customers (user_id, stripe_customer_id, created_at)
			VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING`, userID, c.ID, db.Millis(s.now()))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("billing: store customer: %w", err)
	}
	// Another request may have stored one first: the stored customer is the user's.
	return customerID(ctx, s.d.DB.R, userID)
}
