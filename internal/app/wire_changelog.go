package app

import (
	"context"
	"log/slog"

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
		Audit:          logAuditor{m.Logger},
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

// logAuditor writes admin actions to the log (action, target and actor ids only) until
// the admin area's audit log takes them.
type logAuditor struct{ logger *slog.Logger }

func (a logAuditor) RecordAudit(ctx context.Context, actorID, action, targetType, targetID string, details map[string]any) error {
	a.logger.Info("admin action", "actor_id", actorID, "action", action, "target_type", targetType, "target_id", targetID)
	return nil
}
