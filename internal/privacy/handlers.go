package privacy

import (
	"net/http"
	"time"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/ratelimit"
)

// Limits on the privacy routes: exports are heavy, and deletion and recovery check
// passwords.
var (
	exportLimit       = ratelimit.Rule{Name: "privacy_export_user", Max: 10, Window: time.Hour}
	deleteLimit       = ratelimit.Rule{Name: "privacy_delete_user", Max: 5, Window: 15 * time.Minute}
	recoverIPLimit    = ratelimit.Rule{Name: "privacy_recover_ip", Max: 20, Window: 15 * time.Minute}
	recoverEmailLimit = ratelimit.Rule{Name: "privacy_recover_email", Max: 10, Window: 15 * time.Minute}
)

// Routes registers the privacy routes on mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/me/export", s.accounts.Require(http.HandlerFunc(s.handleExport)))
	mux.Handle("GET /api/v1/me/data", s.accounts.Require(http.HandlerFunc(s.handleDataSummary)))
	mux.Handle("POST /api/v1/me/delete", s.accounts.Require(http.HandlerFunc(s.handleDelete)))
	mux.HandleFunc("POST /api/v1/me/recover", s.handleRecover)
}

func (s *Service) allow(r *http.Request, rule ratelimit.Rule, subject string) error {
	if s.limiter == nil {
		return nil
	}
	return s.limiter.Allow(r.Context(), rule, subject)
}

// handleExport streams the user's data as a JSON attachment. Once the first bytes are
// sent a failure cannot become an error response; the connection is cut instead, so the
// download is visibly incomplete rather than silently short.
func (s *Service) handleExport(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	if err := s.allow(r, exportLimit, p.UserID); err != nil {
		httpx.Error(w, r, err)
		return
	}
	name := "ally-export-" + s.now().Format("2006-01-02") + ".json"
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	// Large accounts take a while: rather than the server's one deadline for the whole
	// response, each write gets its own, so a download goes on as long as the client
	// keeps reading, and a stalled client does not hold the export open.
	if err := s.Export(r.Context(), p.UserID, &deadlineWriter{w: w, rc: http.NewResponseController(w)}); err != nil {
		httpx.Logger(r.Context()).Error("export failed", "error", err)
		panic(http.ErrAbortHandler)
	}
}

type deleteRequest struct {
	Password string `json:"password"`
}

type deleteResponse struct {
	Status           string    `json:"status"`
	RecoverableUntil time.Time `json:"recoverable_until"`
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	var in deleteRequest
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.allow(r, deleteLimit, p.UserID); err != nil {
		httpx.Error(w, r, err)
		return
	}
	until, err := s.DeleteAccount(r.Context(), p.UserID, Proof{Password: in.Password, SessionID: p.SessionID})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, deleteResponse{Status: StatusDeleted, RecoverableUntil: until.Truncate(time.Second)})
}

type recoverRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// Preview checks the credentials and tells until when the account can be recovered,
	// without recovering it.
	Preview bool `json:"preview"`
}

type previewResponse struct {
	Status           string    `json:"status"`
	RecoverableUntil time.Time `json:"recoverable_until"`
}

type recoverResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      auth.User `json:"user"`
}

func (s *Service) handleRecover(w http.ResponseWriter, r *http.Request) {
	var in recoverRequest
	if err := httpx.Decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.Email == "" {
		httpx.Error(w, r, errs.InvalidField("email", "enter your email address"))
		return
	}
	if in.Password == "" {
		httpx.Error(w, r, errs.InvalidField("password", "enter your password"))
		return
	}
	ip := ""
	if s.clientIP != nil {
		ip = s.clientIP.IP(r)
	}
	if err := s.allow(r, recoverIPLimit, ip); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.allow(r, recoverEmailLimit, auth.NormalizeEmail(in.Email)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if in.Preview {
		until, err := s.RecoverableUntil(r.Context(), in.Email, in.Password)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, previewResponse{Status: StatusDeleted, RecoverableUntil: until.Truncate(time.Second)})
		return
	}
	tok, u, err := s.Recover(r.Context(), in.Email, in.Password, auth.Client{IP: ip, UserAgent: r.UserAgent()})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, recoverResponse{Token: tok.Token, ExpiresAt: tok.ExpiresAt, User: u})
}

// exportWriteTimeout bounds how long one write of an export may wait for the client.
const exportWriteTimeout = time.Minute

// deadlineWriter sets a fresh write deadline before each write.
type deadlineWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout))
	return d.w.Write(p)
}
