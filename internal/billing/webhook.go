package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Webhook limits.
const (
	// MaxWebhookBytes is the largest webhook body read; Stripe's events are far smaller.
	MaxWebhookBytes = 64 << 10
	// SignatureTolerance is how old a signature's timestamp may be (replay protection).
	SignatureTolerance = 5 * time.Minute
)

// handleWebhook is POST /webhooks/stripe: the signature is verified before anything is
// read from the event; a bad one answers 400 and changes nothing. A valid event answers
// 200 once applied (also when it was applied before); a failure to reach Stripe answers
// 503 so Stripe delivers it again.
func (s *Service) handleWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.Enabled() {
		httpx.Error(w, r, errDisabled())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpx.Error(w, r, errs.E(errs.TooLarge, "webhook body is larger than %d bytes", MaxWebhookBytes))
			return
		}
		httpx.Error(w, r, errs.Wrap(err, errs.Invalid, "webhook body could not be read"))
		return
	}
	// Ally reads only the event's id, type and object id, then re-reads the object with
	// its own API version, so an endpoint on another version is still understood.
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), s.d.WebhookSecret,
		webhook.ConstructEventOptions{Tolerance: SignatureTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		httpx.Error(w, r, errs.Wrap(err, errs.Invalid, "the Stripe-Signature does not verify this body"))
		return
	}
	if err := s.HandleEvent(r.Context(), ev); err != nil {
		httpx.Logger(r.Context()).Warn("stripe event not applied", "event_id", ev.ID, "type", string(ev.Type), "error", err)
		httpx.Error(w, r, errs.Wrap(err, errs.Unavailable, "the event could not be applied now; deliver it again"))
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]bool{"received": true})
}

// HandleEvent applies a verified event: it finds the subscription the event is about,
// re-reads it from Stripe and, in one transaction, records the event id (unique) and
// stores the state. An event already recorded changes nothing, however many instances
// receive it at once; an event of another kind is acknowledged and ignored.
func (s *Service) HandleEvent(ctx context.Context, ev stripe.Event) error {
	subID, err := subscriptionOf(ev)
	if err != nil {
		return err
	}
	if subID == "" {
		return nil
	}
	var seen int
	err = s.d.DB.R.QueryRowContext(ctx, `SELECT 1 FROM billing_events WHERE id = $1`, ev.ID).Scan(&seen)
	if err == nil {
		return nil // a replay: nothing to fetch
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("billing: read event: %w", err)
	}
	st, err := s.fetch(ctx, subID)
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
		// Not a subscription of this account (e.g. another mode's): nothing to apply, and
		// a retry would not find it either.
		s.logger.Warn("stripe event for an unknown subscription", "event_id", ev.ID, "type", string(ev.Type))
		return nil
	}
	if err != nil {
		return err
	}
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_events (id, type, received_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO NOTHING`, ev.ID, string(ev.Type), db.Millis(s.now()))
		if err != nil {
			return fmt.Errorf("billing: record event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another instance applied it first
		}
		ours, err := s.applyTx(ctx, tx, st)
		if err == nil && !ours {
			s.logger.Warn("stripe event for a customer Ally does not know", "event_id", ev.ID, "type", string(ev.Type))
		}
		return err
	})
}

// subscriptionOf returns the id of the subscription an event concerns, or "" for the
// kinds billing does not handle (and a checkout that made no subscription).
func subscriptionOf(ev stripe.Event) (string, error) {
	if ev.Data == nil {
		return "", nil
	}
	switch ev.Type {
	case "checkout.session.completed":
		var cs stripe.CheckoutSession
		if err := json.Unmarshal(ev.Data.Raw, &cs); err != nil {
			return "", errs.Wrap(err, errs.Invalid, "the checkout session in the event is unreadable")
		}
		if cs.Mode != stripe.CheckoutSessionModeSubscription || cs.Subscription == nil {
			return "", nil
		}
		return cs.Subscription.ID, nil
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := json.Unmarshal(ev.Data.Raw, &sub); err != nil {
			return "", errs.Wrap(err, errs.Invalid, "the subscription in the event is unreadable")
		}
		return sub.ID, nil
	case "invoice.paid", "invoice.payment_failed":
		var inv stripe.Invoice
		if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
			return "", errs.Wrap(err, errs.Invalid, "the invoice in the event is unreadable")
		}
		if inv.Parent == nil || inv.Parent.SubscriptionDetails == nil || inv.Parent.SubscriptionDetails.Subscription == nil {
			return "", nil
		}
		return inv.Parent.SubscriptionDetails.Subscription.ID, nil
	}
	return "", nil
}
