package auth

import (
	"net/http"

	"myally.app/ally/internal/httpx"
)

// handleMe returns the signed-in user's account.
func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) {
	p, _ := FromContext(r.Context())
	u, err := s.UserByID(r.Context(), p.UserID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, u)
}
