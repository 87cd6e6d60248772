package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"myally.app/ally/internal/config"
)

// Version is set at build time with -ldflags "-X myally.app/ally/internal/app.Version=…".
var Version = ""

// Env is what a command runs with: its arguments, output streams and environment.
type Env struct {
	Args   []string
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// Command is one `ally` subcommand.
type Command struct {
	Summary string
	Run     func(ctx context.Context, env Env) error
}

// commands lists every subcommand; feature files add theirs from init.
var commands = map[string]Command{
	"serve":   {"run the server: API, web app, webhooks and background jobs", cmdServe},
	"migrate": {"apply database migrations and exit", cmdMigrate},
	"version": {"print the version", cmdVersion},
	"doctor":  {"check configuration, database and providers; exit 1 on problems", cmdDoctor},
}

// RegisterCommand adds a subcommand.
func RegisterCommand(name string, c Command) { commands[name] = c }

// exitError carries a process exit code without further output.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// CLI runs the subcommand named in args[0] and returns the process exit code.
func CLI(ctx context.Context, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(env.Args) == 0 || env.Args[0] == "help" || env.Args[0] == "-h" || env.Args[0] == "--help" {
		usage(env.Stdout)
		if len(env.Args) == 0 {
			return 2
		}
		return 0
	}
	name := env.Args[0]
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "ally: unknown command %q\n\n", name)
		usage(env.Stderr)
		return 2
	}
	env.Args = env.Args[1:]
	if err := c.Run(ctx, env); err != nil {
		if ee, ok := err.(exitError); ok {
			return ee.code
		}
		fmt.Fprintf(env.Stderr, "ally %s: %v\n", name, err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: ally <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Configuration is read from the environment; see docs/configuration.md.")
}

// loadConfig reads and validates the configuration.
func loadConfig(env Env) (config.Config, error) {
	return config.Load(env.Getenv)
}

// NewLogger builds the process logger from the configuration: slog JSON (or text) on w.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openMain loads the configuration and opens an instance (database migrated).
func openMain(ctx context.Context, env Env) (*Main, error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, err
	}
	logger := NewLogger(cfg, env.Stderr)
	m := New(cfg, logger)
	if err := m.Open(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func cmdServe(ctx context.Context, env Env) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(env.Args); err != nil {
		return exitError{2}
	}
	m, err := openMain(ctx, env)
	if err != nil {
		return err
	}
	slog.SetDefault(m.Logger)
	if err := m.Start(ctx); err != nil {
		m.Close()
		return err
	}
	m.Logger.Info("ally is serving", "url", m.URL, "database", string(m.DB.Dialect), "version", version())
	fmt.Fprintf(env.Stdout, "Ally is running at %s\n", strings.Replace(m.URL, "http://127.0.0.1", "http://localhost", 1))
	if order := m.models.Configured(); len(order) == 0 {
		m.Logger.Warn("no model provider configured: sending a message answers 503 no_provider (docs/providers.md)")
	} else {
		m.Logger.Info("model providers", "order", strings.Join(order, ","))
	}
	m.Logger.Info("mail", "mailer", m.Config.Mailer)
	for _, note := range m.startupNotes(ctx) {
		fmt.Fprintln(env.Stdout, note)
	}
	return m.wait(ctx)
}

func cmdMigrate(ctx context.Context, env Env) error {
	m, err := openMain(ctx, env) // Open applies the migrations
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintf(env.Stdout, "database (%s) is up to date\n", m.DB.Dialect)
	return nil
}

func cmdVersion(ctx context.Context, env Env) error {
	fmt.Fprintf(env.Stdout, "ally %s\n", version())
	return nil
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return "dev"
}
