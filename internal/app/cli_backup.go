package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"myally.app/ally/internal/db"
)

func init() {
	RegisterCommand("backup", Command{"write a consistent copy of the SQLite database (safe while serving)", cmdBackup})
}

// cmdBackup copies the SQLite database with VACUUM INTO: a consistent, compacted snapshot
// taken while Ally keeps serving. PostgreSQL deployments use pg_dump instead.
func cmdBackup(ctx context.Context, env Env) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("out", "", "file to write (default: ALLY_DATA_DIR/backups/ally-<time>.db)")
	if err := fs.Parse(env.Args); err != nil {
		return exitError{2}
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	if cfg.IsPostgres() {
		return errors.New("the database is PostgreSQL: back it up with pg_dump (see docs/operations.md)")
	}
	path := *out
	if path == "" {
		path = filepath.Join(cfg.DataDir, "backups", "ally-"+time.Now().UTC().Format("20060102-150405")+".db")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists; choose another -out", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	d, err := db.Open(ctx, dbOptions(cfg))
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.W.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup written to %s\n", path)
	return nil
}
