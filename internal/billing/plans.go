package billing

import (
	"context"
	"time"

	"myally.app/ally/internal/usage"
)

// Price is what a plan costs, as Stripe's price says (nil for a free plan).
type Price struct {
	ID string `json:"id"`
	// UnitAmount is in the currency's smallest unit (cents).
	UnitAmount int64  `json:"unit_amount"`
	Currency   string `json:"currency"`
	// Interval is month, year, week or day ("" for a one-off price).
	Interval string `json:"interval,omitempty"`
}

// PlanInfo is one plan as the pricing page shows it.
type PlanInfo struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Price   *Price       `json:"price"`
	Limits  usage.Limits `json:"limits"`
	Default bool         `json:"default"`
}

// priceCache keeps Stripe's prices for the public pricing page, so visitors do not cause
// a Stripe call each.
type priceCache struct {
	at     time.Time
	prices map[string]*Price
}

// priceTTL is how long a price read from Stripe is shown before it is read again.
const priceTTL = 10 * time.Minute

// PlanList returns every plan with its price. With billing off, or a price Stripe does
// not answer for, a priced plan shows its price id with no amount.
func (s *Service) PlanList(ctx context.Context) []PlanInfo {
	prices := s.priceDetails(ctx)
	def := s.d.Plans.Default().ID
	out := make([]PlanInfo, 0, len(s.d.Plans))
	for _, p := range s.d.Plans {
		pi := PlanInfo{ID: p.ID, Name: p.Name, Limits: p.Limits, Default: p.ID == def}
		if p.StripePrice != "" {
			if pr, ok := prices[p.StripePrice]; ok {
				pi.Price = pr
			} else {
				pi.Price = &Price{ID: p.StripePrice}
			}
		}
		out = append(out, pi)
	}
	return out
}

func (s *Service) priceDetails(ctx context.Context) map[string]*Price {
	if !s.Enabled() {
		return nil
	}
	s.mu.Lock()
	if s.prices.prices != nil && s.now().Sub(s.prices.at) < priceTTL {
		m := s.prices.prices
		s.mu.Unlock()
		return m
	}
	s.mu.Unlock()
	m := map[string]*Price{}
	for _, p := range s.d.Plans {
		if p.StripePrice == "" {
			continue
		}
		pr, err := s.stripe.V1Prices.Retrieve(ctx, p.StripePrice, nil)
		if err != nil {
			s.logger.Warn("stripe price not readable", "plan", p.ID, "error", err)
			continue
		}
		out := &Price{ID: pr.ID, UnitAmount: pr.UnitAmount, Currency: string(pr.Currency)}
		if pr.Recurring != nil {
			out.Interval = string(pr.Recurring.Interval)
		}
		m[p.StripePrice] = out
	}
	s.mu.Lock()
	s.prices = priceCache{at: s.now(), prices: m}
	s.mu.Unlock()
	return m
}

// planByID returns the configured plan with the id.
func (s *Service) planByID(id string) (usage.Plan, bool) {
	for _, p := range s.d.Plans {
		if p.ID == id {
			return p, true
		}
	}
	return usage.Plan{}, false
}

// Status is GET /api/v1/billing: the plan the user is on now and the subscription
// behind it (status "none" without one).
type Status struct {
	Enabled           bool       `json:"enabled"`
	Plan              string     `json:"plan"`
	PlanName          string     `json:"plan_name"`
	Status            string     `json:"status"`
	CurrentPeriodEnd  *time.Time `json:"current_period_end"`
	CancelAtPeriodEnd bool       `json:"cancel_at_period_end"`
	// GraceEndsAt is, for a past-due subscription, when its plan ends unless paid.
	GraceEndsAt *time.Time `json:"grace_ends_at"`
	// SubscribedPlan is the plan of the subscription shown (it may no longer apply).
	SubscribedPlan string `json:"subscribed_plan,omitempty"`
	HasCustomer    bool   `json:"has_customer"`
}

// StatusFor returns the user's billing status; plan is the plan every limit applies
// (usage's answer, which also covers an operator's choice with no subscription).
func (s *Service) StatusFor(ctx context.Context, userID string, plan usage.Plan) (Status, error) {
	st := Status{Enabled: s.Enabled(), Plan: plan.ID, PlanName: plan.Name, Status: "none"}
	subs, err := subscriptions(ctx, s.d.DB.R, userID)
	if err != nil {
		return Status{}, err
	}
	cust, err := customerID(ctx, s.d.DB.R, userID)
	if err != nil {
		return Status{}, err
	}
	st.HasCustomer = cust != ""
	now := s.now()
	if sub, _ := s.current(subs, now); sub.ID != "" {
		st.Status, st.CancelAtPeriodEnd = sub.Status, sub.CancelAtPeriodEnd
		if p, ok := s.planOfPrice(sub.Price); ok {
			st.SubscribedPlan = p.ID
		}
		if !sub.CurrentPeriodEnd.IsZero() {
			t := sub.CurrentPeriodEnd
			st.CurrentPeriodEnd = &t
		}
		if sub.Status == "past_due" && !sub.PastDueSince.IsZero() {
			t := sub.PastDueSince.Add(s.d.Grace)
			st.GraceEndsAt = &t
		}
	}
	return st, nil
}
