package auth

import (
	"context"
	"database/sql"
	"sync"
)

// SignupHook is a feature's part in creating an account through sign-up (with a
// password or with Google): it runs inside the transaction that inserts the user, so
// the account and the hook's rows commit together; an error aborts the sign-up.
type SignupHook func(ctx context.Context, tx *sql.Tx, userID string) error

type signupHooks struct {
	mu    sync.Mutex
	hooks []SignupHook
}

func (h *signupHooks) run(ctx context.Context, tx *sql.Tx, userID string) error {
	h.mu.Lock()
	hs := append([]SignupHook(nil), h.hooks...)
	h.mu.Unlock()
	for _, fn := range hs {
		if err := fn(ctx, tx, userID); err != nil {
			return err
		}
	}
	return nil
}

// OnSignup registers a hook run when a person creates an account through sign-up (not
// for accounts made by the CLI or tests with CreateUser or MakeAdmin).
func (s *Service) OnSignup(h SignupHook) {
	s.onSignup.mu.Lock()
	defer s.onSignup.mu.Unlock()
	s.onSignup.hooks = append(s.onSignup.hooks, h)
}
