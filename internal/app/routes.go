package app

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/jobs"
)

// wire builds the feature services, registers their routes and job workers. Features are
// wired in dependency order.
func (m *Main) wire(ctx context.Context) error {
	m.Mux.HandleFunc("GET /healthz", m.healthz)
	m.Mux.HandleFunc("GET /readyz", m.readyz)
	m.Mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	m.Mux.HandleFunc("/api/", notFound)
	m.PeriodicJobs = append(m.PeriodicJobs, jobs.RegisterMaintenance(m.Workers, m.DB)...)

	// Accounts and authentication.
	if err := m.wireAuth(ctx); err != nil {
		return err
	}

	// Plans, limits and usage; memory files. The chat's agent loop uses both.
	if err := m.wireUsage(ctx); err != nil {
		return err
	}
	if err := m.wireMemory(ctx); err != nil {
		return err
	}

	// Chat: conversations, replies, the agent loop, preferences and feedback.
	if err := m.wireChat(ctx); err != nil {
		return err
	}

	// Privacy: export, account deletion and purge, retention. Wired after the features
	// whose deletion hooks it runs.
	if err := m.wirePrivacy(ctx); err != nil {
		return err
	}
	// Scheduled tasks: after privacy, whose deletion and recovery hooks pause and resume them.
	if err := m.wireTasks(ctx); err != nil {
		return err
	}
	// Billing: after tasks and privacy, whose limits and deletion it drives.
	if err := m.wireBilling(ctx); err != nil {
		return err
	}
	// Telegram: after tasks (its delivery channel) and privacy (its deletion hook).
	if err := m.wireTelegram(ctx); err != nil {
		return err
	}
	// Nightly analysis and learned guidance: after chat (its source of guidance) and privacy
	// (the notes' retention).
	if err := m.wireInsights(ctx); err != nil {
		return err
	}
	// The admin area: after every feature whose figures or actions it uses.
	if err := m.wireAdmin(ctx); err != nil {
		return err
	}
	// Changelog, policy-change notices and policy pages: after auth (the sign-up hook), and
	// after the admin area, whose audit log records its admin actions.
	if err := m.wireChangelog(ctx); err != nil {
		return err
	}
	// The web app (last: it answers every GET path nothing else claims).
	if err := m.wireWeb(); err != nil {
		return err
	}
	return nil
}

// Handler is the complete HTTP handler with middleware.
func (m *Main) Handler() http.Handler {
	return httpx.Chain(m.Mux,
		httpx.WithRequestID(m.Logger),
		httpx.AccessLog(m.httpMetrics),
		httpx.Recover,
		httpx.SecurityHeaders(strings.HasPrefix(m.Config.PublicURL, "https://") || m.Config.TLS == "acme" || m.Config.TLS == "files"),
		httpx.RefuseMalformed,
		httpx.LimitBody(m.Config.MaxBodyBytes),
	)
}

func (m *Main) healthz(w http.ResponseWriter, r *http.Request) {
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (m *Main) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := m.DB.Ping(ctx); err != nil {
		httpx.Logger(ctx).Warn("readiness check failed", "error", err)
		httpx.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok", "database": string(m.DB.Dialect)})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	httpx.Error(w, r, errs.E(errs.NotFound, "no such endpoint"))
}
