// Package app wires Ally together: configuration, database, job queue, feature services
// and the HTTP server. Main is used by the `ally` command and, with Addr "127.0.0.1:0", by
// end-to-end tests.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"myally.app/ally/internal/admin"
	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/billing"
	"myally.app/ally/internal/changelog"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/httpx"
	"myally.app/ally/internal/insights"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/mail"
	"myally.app/ally/internal/memory"
	"myally.app/ally/internal/privacy"
	"myally.app/ally/internal/tasks"
	"myally.app/ally/internal/telegram"
	usagesvc "myally.app/ally/internal/usage" // app has its own usage (the CLI help)
)

// Main is one running Ally instance.
type Main struct {
	Config config.Config
	Logger *slog.Logger
	// DBOptions overrides how the database is opened (tests use a schema per test);
	// by default it follows Config.
	DBOptions db.Options

	DB        *db.DB
	Jobs      *jobs.Queue
	Registry  *prometheus.Registry
	Mux       *http.ServeMux
	ClientIP  *httpx.ClientIP
	JWTSecret []byte

	// Auth is accounts and authentication; features guard their routes with Auth.Require.
	Auth *auth.Service
	// Mail stores and sends email through the job queue (Mail.Enqueue inside a transaction).
	Mail *mail.Service
	// Usage is plans, limits and usage accounting; Memory is the users' memory files.
	Usage  *usagesvc.Service
	Memory *memory.Service
	// Chat is conversations and the assistant's replies.
	Chat *chat.Service
	// Privacy is export, account deletion and purge, and retention.
	Privacy *privacy.Service
	// Tasks is scheduled tasks: their API, the sweep for due runs and the run workers.
	Tasks *tasks.Service
	// Billing is Stripe subscriptions: Checkout, Portal, webhooks and the plan they grant.
	Billing *billing.Service
	// Telegram is the Telegram bot: linking, chats with the assistant, task delivery.
	Telegram *telegram.Service
	// Insights is the nightly analysis and the learned guidance.
	Insights *insights.Service
	// Changelog is the changelog (What's new), policy-change notices and the policy pages.
	Changelog *changelog.Service
	// Admin is the operators' area: accounts, analytics, outbox, job queue, audit log.
	Admin *admin.Service

	// Workers and PeriodicJobs collect the job kinds features register while wiring.
	Workers      *river.Workers
	PeriodicJobs []*river.PeriodicJob

	// ACMEHTTPClient, if set, is the HTTP client that talks to the ACME CA (tests trust
	// their in-process CA with it).
	ACMEHTTPClient *http.Client
	// RedirectURL is where the plain-HTTP redirect listener listens (built-in HTTPS).
	RedirectURL string

	httpMetrics *httpx.HTTPMetrics
	// models is which model providers chat uses, for the start-up notes.
	models   llm.Status
	server   *http.Server
	listener net.Listener
	// URL is where the server listens, once started.
	URL string

	// stopStreams is cancelled when shutdown begins, telling long streams to wind down.
	stopStreams context.CancelFunc
	baseCtx     context.Context
	// onShutdown runs, in order, after the HTTP server stopped and before the job queue
	// stops (e.g. the chat layer finishing or marking replies in progress).
	onShutdown []func(context.Context) error
	// onStart runs, in order, when the instance starts serving (not for CLI commands that
	// only open it), before the first request.
	onStart   []func(context.Context) error
	serveErr  chan error
	closeOnce sync.Once
}

// New returns an unopened Main.
func New(cfg config.Config, logger *slog.Logger) *Main {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Main{Config: cfg, Logger: logger}
}

// Open prepares everything short of listening: data directory, secrets, database and
// migrations, job queue, feature services and routes.
func (m *Main) Open(ctx context.Context) error {
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", m.Config.DataDir, err)
	}
	secret, err := loadJWTSecret(m.Config)
	if err != nil {
		return err
	}
	m.JWTSecret = secret
	opts := m.DBOptions
	if opts == (db.Options{}) {
		opts = dbOptions(m.Config)
	}
	d, err := db.Open(ctx, opts)
	if err != nil {
		return err
	}
	m.DB = d
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	if err := jobs.Migrate(ctx, d); err != nil {
		return err
	}

	m.Registry = prometheus.NewRegistry()
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "ally_db_write_transactions_total",
		Help: "Write transactions committed to the database by this instance.",
	}, func() float64 { return float64(d.WriteTransactions()) }))
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ally_db_rows_written",
		Help: "Rows inserted, updated or deleted (SQLite: by this instance since start; PostgreSQL: in the schema, all instances).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := d.RowsWritten(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	m.httpMetrics = httpx.NewHTTPMetrics(m.Registry)
	m.Mux = http.NewServeMux()
	m.ClientIP = httpx.NewClientIP(m.Config.TrustedProxies)
	m.Workers = river.NewWorkers()
	m.baseCtx, m.stopStreams = context.WithCancel(context.WithoutCancel(ctx))

	if err := m.wire(ctx); err != nil {
		return err
	}
	q, err := jobs.New(d, jobs.Options{
		Workers:      m.Workers,
		PeriodicJobs: m.PeriodicJobs,
		Logger:       m.Logger,
		Metrics:      jobs.NewMetrics(m.Registry),
	})
	if err != nil {
		return err
	}
	m.Jobs = q
	return nil
}

func dbOptions(cfg config.Config) db.Options {
	return db.Options{URL: cfg.DatabaseURL, Path: filepath.Join(cfg.DataDir, "ally.db")}
}

// OnShutdown registers fn to run during shutdown, after the HTTP server has stopped.
func (m *Main) OnShutdown(fn func(context.Context) error) {
	m.onShutdown = append(m.onShutdown, fn)
}

// OnStart registers fn to run when the instance starts serving, before the first
// request: work that must not happen when a CLI command merely opens the instance next
// to a running server (e.g. the chat layer recovering replies cut by a crash).
func (m *Main) OnStart(fn func(context.Context) error) {
	m.onStart = append(m.onStart, fn)
}

// Start listens on the configured address, runs the start hooks, starts the job queue
// and serves in the background.
func (m *Main) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (ALLY_ADDR): %w", m.Config.Addr, err)
	}
	for _, fn := range m.onStart {
		if err := fn(ctx); err != nil {
			ln.Close()
			return err
		}
	}
	if err := m.startDebug(); err != nil {
		ln.Close()
		return fmt.Errorf("listen on %s (ALLY_DEBUG_ADDR): %w", m.Config.DebugAddr, err)
	}
	m.listener = ln
	m.URL = "http://" + ln.Addr().String()
	tlsSetup, err := m.serveTLS(ln)
	if err != nil {
		ln.Close()
		return err
	}
	if err := m.Jobs.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	m.server = httpx.NewServer(m.Handler(), m.baseCtx, m.Logger)
	serve := m.server.Serve
	if tlsSetup != nil {
		m.URL = "https://" + ln.Addr().String()
		m.server.TLSConfig = tlsSetup.Config
		serve = func(ln net.Listener) error { return m.server.ServeTLS(ln, "", "") }
	}
	m.serveErr = make(chan error, 1)
	go func() {
		err := serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		m.serveErr <- err
	}()
	return nil
}

// Run starts the instance and blocks until ctx is cancelled (SIGTERM/SIGINT) or the server
// fails, then shuts down gracefully.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Start(ctx); err != nil {
		return err
	}
	return m.wait(ctx)
}

// wait blocks until ctx ends or the server fails, then shuts down within the configured
// bound.
func (m *Main) wait(ctx context.Context) error {
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-m.serveErr:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.Config.ShutdownTimeout)
	defer cancel()
	return errors.Join(runErr, m.Shutdown(sctx))
}

// Shutdown stops accepting connections and lets requests finish until ctx ends. Meanwhile
// the shutdown hooks run (the chat layer lets replies in progress finish, or stores them as
// interrupted, so the streams following them end). Then the job queue stops and the
// database closes.
func (m *Main) Shutdown(ctx context.Context) error {
	hooks := make(chan error, 1)
	go func() {
		var err error
		for _, fn := range m.onShutdown {
			err = errors.Join(err, fn(ctx))
		}
		hooks <- err
	}()
	var err error
	if m.server != nil {
		m.Logger.Info("shutting down")
		if err = m.server.Shutdown(ctx); err != nil {
			// Out of time: end the streams still open.
			m.stopStreams()
			err = errors.Join(err, m.server.Close())
		}
	}
	if m.stopStreams != nil {
		m.stopStreams()
	}
	err = errors.Join(err, <-hooks)
	if m.Jobs != nil {
		err = errors.Join(err, m.Jobs.Stop(ctx))
	}
	return errors.Join(err, m.Close())
}

// Close releases the database; Shutdown calls it.
func (m *Main) Close() error {
	var err error
	m.closeOnce.Do(func() {
		if m.DB != nil {
			err = m.DB.Close()
		}
	})
	return err
}

// StreamContext is cancelled when shutdown begins; long-running work owned by the server
// (not by a request) derives from it.
func (m *Main) StreamContext() context.Context { return m.baseCtx }
