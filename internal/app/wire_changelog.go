package app

import (
	"context"

	"myally.app/ally/internal/changelog"
	"myally.app/ally/internal/jobs"
)

// wireChangelog builds the changelog and policy pages on mail and the job queue,
// registers their routes (admin ones behind the admin check) and mailing workers, and
// records at every sign-up the policy versions the new user accepted.
func (m *Main) wireChangelog(ctx context.Context) error {
	m.Changelog = changelog.New(changelog.Deps{
		DB:             m.DB,
		Queue:          func() *jobs.Queue { return m.Jobs },
		Mail:           m.Mail,
		Audit:          m.Admin,
		PublicURL:      m.Mail.PublicURL(),
		NoticeDays:     m.Config.PolicyNoticeDays,
		OperatorName:   m.Config.OperatorName,
		PrivacyContact: m.Config.PrivacyContact,
		Logger:         m.Logger,
	})
	m.Changelog.Register(m.Workers)
	m.Changelog.Routes(m.Mux, m.Auth.RequireAdmin)
	m.Auth.OnSignup(m.Changelog.RecordAcceptance)
	return nil
}
