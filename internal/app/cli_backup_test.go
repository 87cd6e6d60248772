package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"myally.app/ally/internal/app"
	"myally.app/ally/internal/db"
)

func TestBackupCopiesTheDatabase(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "ALLY_DATA_DIR" {
			return dir
		}
		return ""
	}
	ctx := context.Background()
	var out bytes.Buffer
	if code := app.CLI(ctx, app.Env{Args: []string{"migrate"}, Stdout: &out, Stderr: &out, Getenv: env}); code != 0 {
		t.Fatalf("migrate: %s", out.String())
	}
	d, err := db.Open(ctx, db.Options{Path: filepath.Join(dir, "ally.db")})
	if err != nil {
		t.Fatal(err)
	}
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO users (id, email, name, created_at, updated_at) VALUES ('u1', 'a@example.com', 'A', 1, 1)`)
		return err
	})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "copy.db")
	out.Reset()
	if code := app.CLI(ctx, app.Env{Args: []string{"backup", "-out", target}, Stdout: &out, Stderr: &out, Getenv: env}); code != 0 {
		t.Fatalf("backup: %s", out.String())
	}
	copyDB, err := db.Open(ctx, db.Options{Path: target})
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var email string
	if err := copyDB.R.QueryRow(`SELECT email FROM users WHERE id = 'u1'`).Scan(&email); err != nil || email != "a@example.com" {
		t.Fatalf("backup lacks the row: %q %v", email, err)
	}
	out.Reset()
	if code := app.CLI(ctx, app.Env{Args: []string{"backup", "-out", target}, Stdout: &out, Stderr: &out, Getenv: env}); code == 0 || !strings.Contains(out.String(), "already exists") {
		t.Fatalf("overwrote an existing backup: %d %s", code, out.String())
	}
}
