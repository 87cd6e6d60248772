package privacy_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// TestPrivacyWritesNoAuthTables: accounts and sessions belong to auth; privacy changes
// them only through auth's methods, never with its own SQL.
func TestPrivacyWritesNoAuthTables(t *testing.T) {
	write := regexp.MustCompile(`(?is)\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(users|sessions)\b`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := write.Find(src); m != nil {
			t.Errorf("%s writes auth's table: %q", f, m)
		}
	}
}

// TestDeletionIsOneTransaction: when a deletion hook fails, the account is not deleted
// and its sessions still work; when it succeeds, both happen together.
func TestDeletionIsOneTransaction(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		uid, tok := authtest.NewUser(t, s)
		var fail atomic.Bool
		fail.Store(true)
		s.Privacy.OnDelete(func(ctx context.Context, tx *sql.Tx, userID string) error {
			if fail.Load() {
				return errors.New("hook failed")
			}
			return nil
		})
		if res := s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}); res.Status != 500 {
			t.Fatalf("delete with a failing hook: %d %s", res.Status, res.Body)
		}
		if res := s.Do("GET", "/api/v1/me", tok, nil); res.Status != 200 {
			t.Fatalf("the session ended although the deletion failed: %d", res.Status)
		}
		fail.Store(false)
		if res := s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}); res.Status != 200 {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if res := s.Do("GET", "/api/v1/me", tok, nil); res.Status != 401 {
			t.Fatalf("the session outlived the deletion: %d", res.Status)
		}
		var status string
		if err := s.DB.R.QueryRow(`SELECT status FROM users WHERE id = $1`, uid).Scan(&status); err != nil || status != "deleted" {
			t.Fatalf("status %q, %v", status, err)
		}
	})
}
