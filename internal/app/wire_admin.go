package app

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

	"myally.app/ally/internal/admin"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/mail"
	"myally.app/ally/internal/privacy"
)

// wireAdmin builds the admin area on accounts, usage, chat, tasks, privacy (deletion),
// the nightly report and the outbox, registers its routes and the audit log's retention,
// and serves River UI at /admin/jobs/ once the job queue runs.
func (m *Main) wireAdmin(ctx context.Context) error {
	jobsUI := &lazyHandler{}
	m.Admin = admin.New(admin.Deps{
		DB:       m.DB,
		Accounts: m.Auth,
		Usage:    m.Usage,
		Messages: m.Chat.Store(),
		Tasks:    m.Tasks,
		Deleter:  m.Privacy,
		Quality:  m.Insights,
		Outbox: func(ctx context.Context, f mail.Filter) ([]mail.Stored, error) {
			return mail.List(ctx, m.DB, f)
		},
		Jobs:         jobsUI,
		CookieKey:    admin.CookieKey(m.JWTSecret),
		SecureCookie: strings.HasPrefix(m.Config.PublicURL, "https://") || m.Config.TLS == "acme" || m.Config.TLS == "files",
		Logger:       m.Logger,
	})
	m.Admin.Routes(m.Mux)
	m.Privacy.AddRetention(privacy.Retainer{Table: "admin_audit", Keep: "12 months", Run: m.Admin.PurgeOldAudit})
	// River UI needs the job queue's client, built after wiring: it starts with the server
	// and stops when shutdown begins.
	m.OnStart(func(ctx context.Context) error {
		ui, err := m.Jobs.UI("/admin/jobs", m.Logger)
		if err != nil {
			return err
		}
		if err := ui.Start(m.baseCtx); err != nil {
			return err
		}
		var h http.Handler = ui
		jobsUI.h.Store(&h)
		return nil
	})
	return nil
}

// lazyHandler serves with a handler set once the server starts.
type lazyHandler struct {
	h atomic.Pointer[http.Handler]
}

func (l *lazyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := l.h.Load()
	if h == nil {
		httpx.Error(w, r, errs.E(errs.Unavailable, "the job-queue console is starting; try again in a moment"))
		return
	}
	(*h).ServeHTTP(w, r)
}
