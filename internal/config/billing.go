package config

import (
	"net/url"
	"strings"
)

func init() { RegisterValidator(validateBilling) }

// validateBilling checks the Stripe settings: billing is off without a secret key, and
// with one the webhook secret is required (an unverifiable webhook would be refused
// forever, so the plan would never change).
func validateBilling(c Config) []string {
	var p []string
	if c.BillingGrace < 0 {
		p = append(p, "ALLY_BILLING_GRACE: must be 0 or a positive duration such as 168h")
	}
	if c.StripeAPIURL != "" {
		u, err := url.Parse(c.StripeAPIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, "ALLY_STRIPE_API_URL: must be an http(s) URL such as https://api.stripe.com")
		}
	}
	if c.StripeSecretKey == "" {
		return p
	}
	if !strings.HasPrefix(c.StripeSecretKey, "sk_") && !strings.HasPrefix(c.StripeSecretKey, "rk_") {
		p = append(p, "ALLY_STRIPE_SECRET_KEY: must be a Stripe secret or restricted key (sk_… or rk_…)")
	}
	if c.StripeWebhookSecret == "" {
		p = append(p, "ALLY_STRIPE_WEBHOOK_SECRET: required when ALLY_STRIPE_SECRET_KEY is set (the whsec_… secret of the webhook endpoint)")
	}
	return p
}
