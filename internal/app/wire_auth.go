package app

import (
	"context"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/mail"
	"myally.app/ally/internal/ratelimit"
)

// wireAuth builds mail and accounts and authentication, and registers their routes and
// jobs.
func (m *Main) wireAuth(ctx context.Context) error {
	mailer, err := mail.New(m.Config, m.DB, func() *jobs.Queue { return m.Jobs }, m.Logger)
	if err != nil {
		return err
	}
	mailer.Register(m.Workers)
	m.Mail = mailer
	m.Auth = auth.New(auth.Deps{
		Config:   m.Config,
		DB:       m.DB,
		Secret:   m.JWTSecret,
		ClientIP: m.ClientIP,
		Limiter:  ratelimit.New(m.DB, m.JWTSecret),
		Logger:   m.Logger,
		Mail:     mailer,
		Jobs:     func() auth.Queue { return m.Jobs },
	})
	m.Auth.Routes(m.Mux)
	m.PeriodicJobs = append(m.PeriodicJobs, m.Auth.RegisterJobs(m.Workers)...)
	return nil
}
