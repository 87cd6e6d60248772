package billing_test

import (
	"strings"
	"testing"

	"myally.app/ally/internal/billing"
	"myally.app/ally/internal/usage"
)

// TestDoctorAgainstStripeMock: `ally doctor`'s billing check reads the key, the prices
// and the webhook endpoints; a webhook secret of the wrong form is a problem.
func TestDoctorAgainstStripeMock(t *testing.T) {
	mock := stripeMock(t)
	plans := usage.Plans{{ID: "free", Name: "Free"}, {ID: "pro", Name: "Pro", StripePrice: "price_1"}}
	var problems []string
	for _, f := range billing.CheckStripe(t.Context(), "sk_test_doctor", "whsec_x", mock, "https://ally.example", plans) {
		if f.Problem {
			problems = append(problems, f.Detail)
		}
		if strings.Contains(f.Detail, "sk_test_doctor") {
			t.Fatalf("a finding shows the key: %s", f.Detail)
		}
	}
	if len(problems) != 0 {
		t.Fatalf("problems against stripe-mock: %v", problems)
	}
	found := billing.CheckStripe(t.Context(), "sk_test_doctor", "not-a-secret", mock, "https://ally.example", plans)
	bad := false
	for _, f := range found {
		bad = bad || (f.Problem && strings.Contains(f.Detail, "ALLY_STRIPE_WEBHOOK_SECRET"))
	}
	if !bad {
		t.Fatalf("a malformed webhook secret passed: %+v", found)
	}
	// Stripe unreachable: one clear problem.
	down := billing.CheckStripe(t.Context(), "sk_test_doctor", "whsec_x", "http://127.0.0.1:1", "https://ally.example", plans)
	if len(down) != 1 || !down[0].Problem {
		t.Fatalf("an unreachable Stripe: %+v", down)
	}
}
