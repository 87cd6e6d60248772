package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
)

// Check is one line of the `ally doctor` report.
type Check struct {
	Name   string
	Status CheckStatus
	Detail string
}

// CheckStatus grades a check: problems make doctor exit 1, warnings do not.
type CheckStatus int

// The check grades.
const (
	OK CheckStatus = iota
	Warning
	Problem
)

func (s CheckStatus) mark() string {
	return [...]string{"ok  ", "warn", "FAIL"}[s]
}

// DoctorCheck inspects one area; features add theirs with RegisterDoctorCheck. d is nil
// when the database could not be opened.
type DoctorCheck func(ctx context.Context, cfg config.Config, d *db.DB) []Check

var doctorChecks []DoctorCheck

// RegisterDoctorCheck adds a check to `ally doctor`.
func RegisterDoctorCheck(c DoctorCheck) { doctorChecks = append(doctorChecks, c) }

func cmdDoctor(ctx context.Context, env Env) error {
	checks := runDoctor(ctx, env)
	problems := 0
	for _, c := range checks {
		fmt.Fprintf(env.Stdout, "[%s] %-14s %s\n", c.Status.mark(), c.Name, c.Detail)
		if c.Status == Problem {
			problems++
		}
	}
	if problems > 0 {
		fmt.Fprintf(env.Stdout, "\n%d problem(s) found; see docs/configuration.md.\n", problems)
		return exitError{1}
	}
	fmt.Fprintln(env.Stdout, "\nNo problems found.")
	return nil
}

func runDoctor(ctx context.Context, env Env) []Check {
	cfg, err := loadConfig(env)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			out := make([]Check, 0, len(ce.Problems))
			for _, p := range ce.Problems {
				out = append(out, Check{"config", Problem, p})
			}
			return out
		}
		return []Check{{"config", Problem, err.Error()}}
	}
	checks := []Check{{"config", OK, "environment is valid"}}
	checks = append(checks, checkDataDir(cfg), checkSecret(cfg))

	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := db.Open(dctx, dbOptions(cfg))
	if err != nil {
		checks = append(checks, Check{"database", Problem, fmt.Sprintf("cannot open: %v", err)})
	} else {
		defer d.Close()
		checks = append(checks, checkDatabase(dctx, d)...)
	}
	for _, c := range doctorChecks {
		checks = append(checks, c(ctx, cfg, d)...)
	}
	return checks
}

func checkDataDir(cfg config.Config) Check {
	if cfg.IsPostgres() {
		return Check{"data dir", OK, cfg.DataDir + " (not used for the database with PostgreSQL)"}
	}
	st, err := os.Stat(cfg.DataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Check{"data dir", OK, cfg.DataDir + " will be created on first start"}
	case err != nil:
		return Check{"data dir", Problem, fmt.Sprintf("%s: %v", cfg.DataDir, err)}
	case !st.IsDir():
		return Check{"data dir", Problem, cfg.DataDir + " is not a directory (ALLY_DATA_DIR)"}
	}
	probe := filepath.Join(cfg.DataDir, ".doctor-write-test")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		return Check{"data dir", Problem, fmt.Sprintf("%s is not writable: %v", cfg.DataDir, err)}
	}
	os.Remove(probe)
	return Check{"data dir", OK, cfg.DataDir + " is writable"}
}

func checkSecret(cfg config.Config) Check {
	switch {
	case cfg.JWTSecret != "":
		return Check{"jwt secret", OK, "set by ALLY_JWT_SECRET"}
	case cfg.IsPostgres():
		return Check{"jwt secret", Problem, "ALLY_JWT_SECRET must be set (the same on every instance) with PostgreSQL"}
	}
	path := filepath.Join(cfg.DataDir, secretFile)
	st, err := os.Stat(path)
	if err != nil {
		return Check{"jwt secret", OK, "will be generated into " + path + " on first start"}
	}
	if st.Mode().Perm()&0o077 != 0 {
		return Check{"jwt secret", Warning, fmt.Sprintf("%s is readable by others (mode %v); run chmod 600", path, st.Mode().Perm())}
	}
	return Check{"jwt secret", OK, "generated, in " + path}
}

func checkDatabase(ctx context.Context, d *db.DB) []Check {
	if err := d.Ping(ctx); err != nil {
		return []Check{{"database", Problem, fmt.Sprintf("%s does not answer: %v", d.Dialect, err)}}
	}
	out := []Check{{"database", OK, fmt.Sprintf("%s answers", d.Dialect)}}
	pending, err := d.Pending(ctx)
	switch {
	case err != nil:
		out = append(out, Check{"migrations", Problem, err.Error()})
	case len(pending) > 0:
		out = append(out, Check{"migrations", Warning, fmt.Sprintf("%d pending; `ally serve` or `ally migrate` applies them", len(pending))})
	default:
		out = append(out, Check{"migrations", OK, "schema is up to date"})
	}
	return out
}
