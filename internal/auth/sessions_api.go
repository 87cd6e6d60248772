package auth

import (
	"net/http"
	"strconv"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// handleListSessions lists the user's signed-in sessions.
func (s *Service) handleListSessions(w http.ResponseWriter, r *http.Request) {
	p, _ := FromContext(r.Context())
	list, err := s.ListSessions(r.Context(), p.UserID, p.SessionID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"sessions": list})
}

// handleRevokeSession signs one of the user's sessions out.
func (s *Service) handleRevokeSession(w http.ResponseWriter, r *http.Request) {
	p, _ := FromContext(r.Context())
	if err := s.limiter.Allow(r.Context(), limitSessionIP, s.ip(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.RevokeSession(r.Context(), p.UserID, r.PathValue("id")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.NoContent(w)
}

// handleListSignIns lists the user's sign-in history (at most ?limit=, default 100).
func (s *Service) handleListSignIns(w http.ResponseWriter, r *http.Request) {
	p, _ := FromContext(r.Context())
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			httpx.Error(w, r, errs.InvalidField("limit", "limit must be a number from 1 to 500"))
			return
		}
		limit = n
	}
	list, err := s.ListSignIns(r.Context(), p.UserID, limit)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"sign_ins": list})
}
