package app

import (
	"context"
	"database/sql"
	"time"

	"myally.app/ally/internal/billing"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/privacy"
	"myally.app/ally/internal/ratelimit"
	"myally.app/ally/internal/tasks"
	usagesvc "myally.app/ally/internal/usage"
)

// wireBilling builds billing on Stripe (off without ALLY_STRIPE_SECRET_KEY): usage reads
// the plan a user pays for from it, tasks pause what a smaller plan no longer allows, and
// deleting an account cancels its subscription through a job inserted in the deletion's
// transaction. After wireTasks and wirePrivacy, whose services its hooks call.
func (m *Main) wireBilling(ctx context.Context) error {
	limiter := ratelimit.New(m.DB, m.JWTSecret)
	session := ratelimit.Rule{Name: "billing_session", Max: 20, Window: time.Hour}
	m.Billing = billing.New(billing.Deps{
		DB:            m.DB,
		Queue:         func() *jobs.Queue { return m.Jobs },
		Plans:         m.Usage.Plans(),
		Accounts:      billingAccounts{m},
		SecretKey:     m.Config.StripeSecretKey,
		WebhookSecret: m.Config.StripeWebhookSecret,
		APIURL:        m.Config.StripeAPIURL,
		PublicURL:     m.Mail.PublicURL(),
		Grace:         m.Config.BillingGrace,
		AllowSession:  func(ctx context.Context, uid string) error { return limiter.Allow(ctx, session, uid) },
		Logger:        m.Logger,
	})
	m.Usage.Subscriptions = m.Billing
	m.Billing.OnPlanChange(func(ctx context.Context, tx *sql.Tx, userID string, plan usagesvc.Plan) error {
		_, err := m.Tasks.EnforceLimits(ctx, tx, userID, tasks.Limits{ActiveTasks: plan.Limits.ActiveTasks,
			MinInterval: plan.Limits.MinTaskInterval, TokensPerDay: plan.Limits.TokensPerDay})
		return err
	})
	m.Privacy.OnDelete(m.Billing.CancelForDeletion)
	m.Privacy.AddThirdParties(func(ctx context.Context, userID string) ([]privacy.ThirdParty, error) {
		first, last, ok, err := m.Billing.StripeUse(ctx, userID)
		if err != nil || !ok {
			return nil, err
		}
		return []privacy.ThirdParty{{Name: "Stripe", Receives: "email, subscription data", FirstAt: first, LastAt: last}}, nil
	})
	m.Billing.Routes(m.Mux, m.Auth.Require, m.Usage.PlanFor)
	m.PeriodicJobs = append(m.PeriodicJobs, m.Billing.Register(m.Workers)...)
	return nil
}

// billingAccounts gives billing the email address its Stripe customer is created with.
type billingAccounts struct{ m *Main }

func (a billingAccounts) Email(ctx context.Context, userID string) (string, error) {
	u, err := a.m.Auth.UserByID(ctx, userID)
	if err != nil {
		return "", err
	}
	return u.Email, nil
}
