package admin

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
)

// User is an account as the admin area shows it: identity, state and totals, never
// content.
type User struct {
	ID            string     `json:"id"`
	Email         string     `json:"email"`
	Name          string     `json:"name"`
	Plan          string     `json:"plan"`
	Role          string     `json:"role"`
	Status        string     `json:"status"`
	Verified      bool       `json:"verified"`
	CreatedAt     time.Time  `json:"created_at"`
	LastActiveAt  *time.Time `json:"last_active_at"`
	TokensTotal   int64      `json:"tokens_total"`
	MessagesTotal int64      `json:"messages_total"`
}

// maxReason is the longest reason an administrator may give, in characters.
const maxReason = 500

// users adds the totals to accounts.
func (s *Service) users(ctx context.Context, accounts []auth.Account) ([]User, error) {
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	totals, err := s.d.Usage.TotalsFor(ctx, ids)
	if err != nil {
		return nil, err
	}
	counts, err := s.d.Messages.MessageCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]User, len(accounts))
	for i, a := range accounts {
		u := User{ID: a.ID, Email: a.Email, Name: a.Name, Plan: a.Plan, Role: a.Role, Status: a.Status,
			Verified: a.Verified, CreatedAt: a.CreatedAt, TokensTotal: totals[a.ID].Tokens, MessagesTotal: counts[a.ID]}
		if !a.LastActiveAt.IsZero() {
			t := a.LastActiveAt
			u.LastActiveAt = &t
		}
		out[i] = u
	}
	return out, nil
}

func (s *Service) handleUsers(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.Limit(r, 50, 100)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	q := r.URL.Query().Get("q")
	if utf8.RuneCountInString(q) > 200 {
		httpx.Error(w, r, errs.InvalidField("q", "the search is longer than 200 characters"))
		return
	}
	page, err := s.d.Accounts.SearchAccounts(r.Context(), q, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	users, err := s.users(r.Context(), page.Accounts)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"users": users, "next": page.Next})
}

// user reads the account named by the path, as a User.
func (s *Service) user(ctx context.Context, id string) (User, error) {
	a, err := s.d.Accounts.AccountByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	us, err := s.users(ctx, []auth.Account{a})
	if err != nil {
		return User{}, err
	}
	return us[0], nil
}

func (s *Service) handleUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.user(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"user": u})
}

// actionRequest is the body of an action on an account: the reason, required for a
// deletion and optional otherwise.
type actionRequest struct {
	Reason string `json:"reason"`
}

// decodeReason reads an optional body with a reason; required makes an empty one a 400.
func decodeReason(r *http.Request, required bool) (string, error) {
	var in actionRequest
	if r.ContentLength != 0 || required {
		if err := httpx.Decode(r, &in); err != nil {
			return "", err
		}
	}
	reason := strings.TrimSpace(in.Reason)
	if required && reason == "" {
		return "", errs.InvalidField("reason", "give the reason for this action; it is recorded in the audit log and sent to the user")
	}
	if utf8.RuneCountInString(reason) > maxReason {
		return "", errs.InvalidField("reason", "the reason is longer than %d characters", maxReason)
	}
	return reason, nil
}

// notSelf refuses an action an administrator may not take on their own account.
func notSelf(r *http.Request, id, what string) error {
	if actor(r).UserID == id {
		return errs.InvalidField("id", "you cannot %s your own account", what)
	}
	return nil
}

func (s *Service) handleSuspend(w http.ResponseWriter, r *http.Request) {
	s.statusAction(w, r, "suspend", "user.suspend", s.d.Accounts.SuspendAccount)
}

func (s *Service) handleUnsuspend(w http.ResponseWriter, r *http.Request) {
	s.statusAction(w, r, "unsuspend", "user.unsuspend", s.d.Accounts.UnsuspendAccount)
}

func (s *Service) statusAction(w http.ResponseWriter, r *http.Request, what, action string, do func(context.Context, string) (auth.Account, error)) {
	id := r.PathValue("id")
	reason, err := decodeReason(r, false)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := notSelf(r, id, what); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if _, err := do(r.Context(), id); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.RecordAudit(r.Context(), actor(r).UserID, action, "user", id, map[string]any{"reason": reason}); err != nil {
		httpx.Error(w, r, err)
		return
	}
	u, err := s.user(r.Context(), id)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"user": u})
}

func (s *Service) handleResend(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := decodeReason(r, false); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.d.Accounts.ResendVerification(r.Context(), id); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := s.RecordAudit(r.Context(), actor(r).UserID, "user.resend_verification", "user", id, nil); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusAccepted, map[string]any{"status": "queued"})
}

func (s *Service) handleDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	reason, err := decodeReason(r, true)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := notSelf(r, id, "delete"); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if _, err := s.d.Accounts.AccountByID(r.Context(), id); err != nil {
		httpx.Error(w, r, err)
		return
	}
	until, err := s.d.Deleter.DeleteByOperator(r.Context(), id, reason, func(ctx context.Context, tx *sql.Tx) error {
		return s.RecordAuditTx(ctx, tx, actor(r).UserID, "user.delete", "user", id, map[string]any{"reason": reason})
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	u, err := s.user(r.Context(), id)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"user": u, "purge_after": until.UTC().Truncate(time.Second)})
}
