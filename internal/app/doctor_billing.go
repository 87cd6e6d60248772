package app

import (
	"context"
	"time"

	"myally.app/ally/internal/billing"
	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	usagesvc "myally.app/ally/internal/usage"
)

func init() { RegisterDoctorCheck(checkBilling) }

// checkBilling reports whether billing is on and, if so, what Stripe says of the key,
// the plans' prices and the webhook endpoint.
func checkBilling(ctx context.Context, cfg config.Config, _ *db.DB) []Check {
	if cfg.StripeSecretKey == "" {
		return []Check{{"billing", OK, "off (no ALLY_STRIPE_SECRET_KEY): every account is on the default plan"}}
	}
	plans, err := usagesvc.ParsePlans(cfg.Plans)
	if err != nil {
		return []Check{{"billing", Problem, "ALLY_PLANS: " + err.Error()}}
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var out []Check
	for _, f := range billing.CheckStripe(ctx, cfg.StripeSecretKey, cfg.StripeWebhookSecret, cfg.StripeAPIURL, cfg.PublicURL, plans) {
		st := OK
		switch {
		case f.Problem:
			st = Problem
		case f.Warning:
			st = Warning
		}
		out = append(out, Check{"billing", st, f.Detail})
	}
	return out
}
