package app

import (
	"context"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/ratelimit"
)

// wireAuth builds accounts and authentication and registers its routes.
func (m *Main) wireAuth(ctx context.Context) error {
	m.Auth = auth.New(auth.Deps{
		Config:   m.Config,
		DB:       m.DB,
		Secret:   m.JWTSecret,
		ClientIP: m.ClientIP,
		Limiter:  ratelimit.New(m.DB, m.JWTSecret),
		Logger:   m.Logger,
	})
	m.Auth.Routes(m.Mux)
	return nil
}
