package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/stripe/stripe-go/v85"

	"myally.app/ally/internal/db"
)

// CancelArgs is the job that asks Stripe to end a deleted account's subscription at the
// end of the period already paid for. It is inserted in the deletion's transaction; the
// call to Stripe happens here, outside it.
type CancelArgs struct {
	SubscriptionID string `json:"subscription_id"`
}

// Kind implements river.JobArgs.
func (CancelArgs) Kind() string { return "billing_cancel" }

// InsertOpts makes the job unique per subscription.
func (CancelArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ReconcileArgs is the daily job that re-reads every subscription from Stripe. It names
// no user.
type ReconcileArgs struct{}

// Kind implements river.JobArgs.
func (ReconcileArgs) Kind() string { return "billing_reconcile" }

// ReconcileInterval is how often the reconciliation runs.
const ReconcileInterval = 24 * time.Hour

// eventRetention is how long applied event ids are kept: Stripe retries a delivery for
// three days, so a replay later than this is refused only by its stale signature.
const eventRetention = 30 * 24 * time.Hour

// Register adds the billing workers and returns the reconciliation's schedule (none when
// billing is off).
func (s *Service) Register(workers *river.Workers) []*river.PeriodicJob {
	if !s.Enabled() {
		return nil
	}
	river.AddWorker(workers, &cancelWorker{s: s})
	river.AddWorker(workers, &reconcileWorker{s: s})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ReconcileInterval),
		func() (river.JobArgs, *river.InsertOpts) {
			return ReconcileArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: ReconcileInterval}}
		},
		&river.PeriodicJobOpts{ID: "billing_reconcile", RunOnStart: true})}
}

// CancelForDeletion is the privacy OnDelete hook: inside the deletion's transaction it
// inserts a cancel job for each of the user's subscriptions still running. Recovery does
// not undo it: a recovered user subscribes again through Checkout or the Portal.
func (s *Service) CancelForDeletion(ctx context.Context, tx *sql.Tx, userID string) error {
	if !s.Enabled() {
		return nil
	}
	subs, err := subscriptions(ctx, tx, userID)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if sub.CancelAtPeriodEnd || terminal(sub.Status) {
			continue
		}
		if _, err := s.d.Queue().Insert(ctx, tx, CancelArgs{SubscriptionID: sub.ID}, nil); err != nil {
			return err
		}
	}
	return nil
}

// terminal reports whether a subscription status can never become active again.
func terminal(status string) bool { return status == "canceled" || status == "incomplete_expired" }

type cancelWorker struct {
	river.WorkerDefaults[CancelArgs]
	s *Service
}

func (w *cancelWorker) Work(ctx context.Context, j *river.Job[CancelArgs]) error {
	return w.s.CancelAtPeriodEnd(ctx, j.Args.SubscriptionID)
}

// CancelAtPeriodEnd asks Stripe to end the subscription when its period ends and stores
// the state Stripe answers with. A subscription Stripe already ended needs nothing more.
func (s *Service) CancelAtPeriodEnd(ctx context.Context, id string) error {
	started := s.now()
	sub, err := s.stripe.V1Subscriptions.Update(ctx, id, &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true)})
	if err != nil {
		var se *stripe.Error
		if !errors.As(err, &se) || se.HTTPStatusCode >= 500 || se.HTTPStatusCode == 429 {
			return fmt.Errorf("billing: cancel subscription: %w", err)
		}
		// Refused (e.g. already canceled): store what Stripe has now.
		st, ferr := s.fetch(ctx, id)
		if ferr != nil {
			return fmt.Errorf("billing: cancel subscription: %w", err)
		}
		return s.store(ctx, st)
	}
	return s.store(ctx, fromStripe(sub, started))
}

// store applies one subscription state in its own transaction.
func (s *Service) store(ctx context.Context, st Subscription) error {
	return s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.applyTx(ctx, tx, st)
		return err
	})
}

type reconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	s *Service
}

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[ReconcileArgs]) error {
	n, err := w.s.Reconcile(ctx)
	if err == nil {
		w.s.logger.Info("billing reconciled", "subscriptions", n)
	}
	return err
}

// Reconcile re-reads every subscription of Ally's customers from Stripe (a page of 100
// at a time) and applies it, so a webhook that never arrived, and the end of a past-due
// grace, take effect by the next run. It returns how many subscriptions it applied.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	if !s.Enabled() {
		return 0, nil
	}
	n := 0
	params := &stripe.SubscriptionListParams{Status: stripe.String("all")}
	params.Limit = stripe.Int64(100)
	for sub, err := range s.stripe.V1Subscriptions.List(ctx, params).All(ctx) {
		if err != nil {
			return n, fmt.Errorf("billing: list subscriptions: %w", err)
		}
		st := fromStripe(sub, s.now())
		var ours bool
		if err := s.d.DB.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			ours, err = s.applyTx(ctx, tx, st)
			return err
		}); err != nil {
			return n, err
		}
		if ours {
			n++
		}
	}
	_, err := s.d.DB.Exec(ctx, `DELETE FROM billing_events WHERE received_at < $1`, db.Millis(s.now().Add(-eventRetention)))
	if err != nil {
		return n, fmt.Errorf("billing: prune events: %w", err)
	}
	return n, nil
}
