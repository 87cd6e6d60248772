// Package billing sells the plans through Stripe (BILL): Checkout to subscribe, the
// Customer Portal to manage or cancel, and signed webhooks that keep Ally's copy of each
// subscription current. Webhook events are triggers, not state: the handler re-reads the
// subscription from Stripe and applies what it finds, recording the event id in the same
// transaction, so replays, duplicates and any delivery order end in the same plan. A
// daily reconciliation re-reads every subscription, repairing an event that never came.
//
// Billing owns its tables (customers, subscriptions, seen events); usage asks it for the
// plan a user pays for (SubscribedPlan), and tasks are told through OnPlanChange when the
// effective plan changes. No card data ever reaches Ally: Stripe's hosted pages take it.
package billing

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v85"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/usage"
)

// Accounts gives the email address Stripe's customer is created with (auth).
type Accounts interface {
	Email(ctx context.Context, userID string) (string, error)
}

// PlanChange is called inside the transaction that changes a user's effective plan (a
// webhook, the reconciliation, the end of a past-due grace): tasks pause what the new
// plan no longer allows.
type PlanChange func(ctx context.Context, tx *sql.Tx, userID string, plan usage.Plan) error

// Deps is what the service needs.
type Deps struct {
	DB *db.DB
	// Queue returns the job queue (built after the services).
	Queue    func() *jobs.Queue
	Plans    usage.Plans
	Accounts Accounts
	// SecretKey is the Stripe API key; empty turns billing off.
	SecretKey     string
	WebhookSecret string
	// APIURL is the Stripe API base URL (empty: Stripe's).
	APIURL string
	// PublicURL starts the Checkout and Portal return URLs.
	PublicURL string
	// Grace is how long a past-due subscription keeps its plan.
	Grace time.Duration
	// AllowSession rate-limits creating Checkout and Portal sessions (nil: no limit).
	AllowSession func(ctx context.Context, userID string) error
	// HTTPClient talks to Stripe (nil: a client with a 30 s timeout).
	HTTPClient *http.Client
	Now        func() time.Time
	Logger     *slog.Logger
}

// Service is billing: its API, webhook, jobs and the plan source for usage.
type Service struct {
	d      Deps
	stripe *stripe.Client
	now    func() time.Time
	logger *slog.Logger

	mu           sync.Mutex
	onPlanChange []PlanChange
	prices       priceCache
}

// New builds the service. With no secret key it is disabled: SubscribedPlan names no
// plan, the billing routes answer billing_disabled and no job is registered.
func New(d Deps) *Service {
	s := &Service{d: d, now: d.Now, logger: d.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if d.SecretKey != "" {
		s.stripe = newStripeClient(d.SecretKey, d.APIURL, d.HTTPClient)
	}
	return s
}

// newStripeClient builds the official client on base (Stripe's API when empty). The
// SDK's own logging is off: its request lines could name customers; Ally logs outcomes.
func newStripeClient(key, base string, hc *http.Client) *stripe.Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	cfg := &stripe.BackendConfig{
		HTTPClient:        hc,
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		MaxNetworkRetries: stripe.Int64(2),
	}
	if base != "" {
		cfg.URL = stripe.String(base)
	}
	return stripe.NewClient(key, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))
}

// Enabled reports whether billing is on (ALLY_STRIPE_SECRET_KEY set).
func (s *Service) Enabled() bool { return s.stripe != nil }

// OnPlanChange registers a hook run when a user's effective plan changes.
func (s *Service) OnPlanChange(h PlanChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onPlanChange = append(s.onPlanChange, h)
}

func (s *Service) planHooks() []PlanChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PlanChange(nil), s.onPlanChange...)
}

// errDisabled answers the billing routes when billing is off.
func errDisabled() error {
	e := errs.E(errs.NotFound, "billing is not enabled on this server; every account is on the default plan")
	e.Details = map[string]any{"reason": "billing_disabled"}
	return e
}
