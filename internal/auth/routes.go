package auth

import (
	"net/http"
)

// Routes registers the account and authentication routes on mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/me", s.Require(http.HandlerFunc(s.handleMe)))
}
