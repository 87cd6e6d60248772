package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stripe/stripe-go/v85"

	"myally.app/ally/internal/usage"
)

// Finding is one result of CheckStripe; Problem marks what stops billing from working.
type Finding struct {
	Problem, Warning bool
	Detail           string
}

// HandledEvents are the webhook events billing applies; the endpoint at Stripe must send them.
var HandledEvents = []string{"checkout.session.completed", "customer.subscription.created", "customer.subscription.updated",
	"customer.subscription.deleted", "invoice.paid", "invoice.payment_failed"}

// CheckStripe is `ally doctor`'s billing check: the key is accepted, the webhook secret
// looks like one, every priced plan's price exists (and is recurring), and a webhook
// endpoint at Stripe points at this server with the events billing needs.
func CheckStripe(ctx context.Context, key, webhookSecret, apiURL, publicURL string, plans usage.Plans) []Finding {
	sc := newStripeClient(key, apiURL, nil)
	var out []Finding
	if _, err := sc.V1Balance.Retrieve(ctx, nil); err != nil {
		return []Finding{{Problem: true, Detail: "Stripe refused ALLY_STRIPE_SECRET_KEY or cannot be reached: " + stripeMessage(err)}}
	}
	mode := "live"
	if strings.HasPrefix(key, "sk_test_") || strings.HasPrefix(key, "rk_test_") {
		mode = "test"
	}
	out = append(out, Finding{Detail: "Stripe accepts the secret key (" + mode + " mode)"})
	if !strings.HasPrefix(webhookSecret, "whsec_") {
		out = append(out, Finding{Problem: true, Detail: "ALLY_STRIPE_WEBHOOK_SECRET does not look like a webhook signing secret (whsec_…)"})
	}
	priced := 0
	for _, p := range plans {
		if p.StripePrice == "" {
			continue
		}
		priced++
		pr, err := sc.V1Prices.Retrieve(ctx, p.StripePrice, nil)
		switch {
		case err != nil:
			out = append(out, Finding{Problem: true, Detail: fmt.Sprintf("plan %s: price %s: %s", p.ID, p.StripePrice, stripeMessage(err))})
		case pr.Recurring == nil:
			out = append(out, Finding{Problem: true, Detail: fmt.Sprintf("plan %s: price %s is not recurring (Checkout sells subscriptions)", p.ID, p.StripePrice)})
		case !pr.Active:
			out = append(out, Finding{Problem: true, Detail: fmt.Sprintf("plan %s: price %s is archived", p.ID, p.StripePrice)})
		default:
			out = append(out, Finding{Detail: fmt.Sprintf("plan %s: price %s, %d %s per %s", p.ID, p.StripePrice, pr.UnitAmount, strings.ToUpper(string(pr.Currency)), pr.Recurring.Interval)})
		}
	}
	if priced == 0 {
		out = append(out, Finding{Warning: true, Detail: "no plan in ALLY_PLANS has a stripe_price: there is nothing to sell"})
	}
	return append(out, checkEndpoint(ctx, sc, publicURL))
}

// checkEndpoint looks for the webhook endpoint that delivers to this server.
func checkEndpoint(ctx context.Context, sc *stripe.Client, publicURL string) Finding {
	want := strings.TrimRight(publicURL, "/") + "/webhooks/stripe"
	for ep, err := range sc.V1WebhookEndpoints.List(ctx, &stripe.WebhookEndpointListParams{}).All(ctx) {
		if err != nil {
			return Finding{Warning: true, Detail: "could not list webhook endpoints (a restricted key may not allow it): " + stripeMessage(err)}
		}
		if ep.URL != want {
			continue
		}
		var missing []string
		for _, e := range HandledEvents {
			if !slices.Contains(ep.EnabledEvents, e) && !slices.Contains(ep.EnabledEvents, "*") {
				missing = append(missing, e)
			}
		}
		switch {
		case ep.Status != "enabled":
			return Finding{Problem: true, Detail: "the webhook endpoint " + want + " is " + ep.Status}
		case len(missing) > 0:
			return Finding{Problem: true, Detail: "the webhook endpoint " + want + " does not send " + strings.Join(missing, ", ")}
		}
		return Finding{Detail: "webhook endpoint " + want + " sends every event billing needs"}
	}
	return Finding{Warning: true, Detail: "no Stripe webhook endpoint delivers to " + want + "; plans then change only at the daily reconciliation"}
}

// stripeMessage is Stripe's own explanation of a failed call, without request details.
func stripeMessage(err error) string {
	var se *stripe.Error
	if errors.As(err, &se) && se.Msg != "" {
		return se.Msg
	}
	return err.Error()
}
