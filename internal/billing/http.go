package billing

import (
	"context"
	"net/http"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/usage"
)

// Routes registers the billing API (§15). plans is public (the pricing page); the rest
// need a signed-in user, whose id comes from the auth context only. currentPlan is the
// plan every limit applies (usage).
//
//	GET  /api/v1/plans              {plans:[{id, name, price, limits, default}], billing_enabled}
//	GET  /api/v1/billing            {plan, status, current_period_end, cancel_at_period_end, …}
//	POST /api/v1/billing/checkout   {plan} -> {url}
//	POST /api/v1/billing/portal     -> {url}
//	POST /webhooks/stripe           Stripe's signed events
func (s *Service) Routes(mux *http.ServeMux, require func(http.Handler) http.Handler,
	currentPlan func(ctx context.Context, userID string) (usage.Plan, error)) {
	mux.HandleFunc("GET /api/v1/plans", s.handlePlans)
	mux.Handle("GET /api/v1/billing", require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handleStatus(w, r, currentPlan)
	})))
	mux.Handle("POST /api/v1/billing/checkout", require(http.HandlerFunc(s.handleCheckout)))
	mux.Handle("POST /api/v1/billing/portal", require(http.HandlerFunc(s.handlePortal)))
	mux.HandleFunc("POST /webhooks/stripe", s.handleWebhook)
}

func owner(r *http.Request) (string, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok || p.UserID == "" {
		return "", errs.E(errs.Unauthenticated, "sign in first")
	}
	return p.UserID, nil
}

func (s *Service) handlePlans(w http.ResponseWriter, r *http.Request) {
	httpx.JSON(w, http.StatusOK, map[string]any{"plans": s.PlanList(r.Context()), "billing_enabled": s.Enabled()})
}

func (s *Service) handleStatus(w http.ResponseWriter, r *http.Request, currentPlan func(context.Context, string) (usage.Plan, error)) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if !s.Enabled() {
		httpx.Error(w, r, errDisabled())
		return
	}
	plan, err := currentPlan(r.Context(), uid)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	st, err := s.StatusFor(r.Context(), uid, plan)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, st)
}

func (s *Service) handleCheckout(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var in struct {
		Plan string `json:"plan"`
	}
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	url, err := s.Checkout(r.Context(), uid, in.Plan)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"url": url})
}

func (s *Service) handlePortal(w http.ResponseWriter, r *http.Request) {
	uid, err := owner(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	url, err := s.Portal(r.Context(), uid)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"url": url})
}
