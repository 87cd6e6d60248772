package usage

import (
	"net/http"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// Routes registers the usage API:
//
//	GET /api/v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD   the signed-in user's Report
func (s *Service) Routes(mux *http.ServeMux, require func(http.Handler) http.Handler) {
	mux.Handle("GET /api/v1/usage", require(http.HandlerFunc(s.handleReport)))
}

func (s *Service) handleReport(w http.ResponseWriter, r *http.Request) {
	p, ok := auth.FromContext(r.Context())
	if !ok || p.UserID == "" {
		httpx.Error(w, r, errs.E(errs.Unauthenticated, "sign in first"))
		return
	}
	q := r.URL.Query()
	rep, err := s.Report(r.Context(), p.UserID, q.Get("from"), q.Get("to"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, rep)
}
