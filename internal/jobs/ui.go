package jobs

import (
	"log/slog"

	"riverqueue.com/riverui"
)

// UI returns River UI, the job queue's web console, serving its pages and API under prefix
// (e.g. "/admin/jobs"), with its assets embedded. The caller guards it (admins only) and
// starts it with Start before it serves. Job arguments are hidden in lists by default;
// Ally's job arguments hold ids only, never a user's content.
func (q *Queue) UI(prefix string, logger *slog.Logger) (*riverui.Handler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := &riverui.HandlerOpts{
		Logger:                   logger.With("component", "jobs_ui"),
		Prefix:                   prefix,
		JobListHideArgsByDefault: true,
	}
	if q.pgx != nil {
		opts.Endpoints = riverui.NewEndpoints(q.pgx, nil)
	} else {
		opts.Endpoints = riverui.NewEndpoints(q.inserter, nil)
	}
	return riverui.NewHandler(opts)
}
