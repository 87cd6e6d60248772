package privacy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/privacy"
)

// TestPurgeLeavesNoBytes: once an account is purged (deleted, recovery window over, the
// purge `ally retention run` runs), nothing of it is left in the database's files. On
// SQLite the raw bytes of the database file, its write-ahead log and shared-memory index
// hold none of the user's text (email, name, messages, memory, titles, every column of
// every user-owned table) nor the user's id, while the server still runs and after it
// stops; another account's data, written in between, is still there. On PostgreSQL the
// purged tables have been vacuumed.
func TestPurgeLeavesNoBytes(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		s := apptest.Start(t, tg, apptest.Options{})
		canary := "canary" + randomHex()
		keeper := "keeper" + randomHex()
		uid, tok := authtest.NewUser(t, s, authtest.Email(canary+"@example.com"), authtest.Name(canary+" Name"))
		other, _ := authtest.NewUser(t, s, authtest.Email(keeper+"@example.com"), authtest.Name(keeper+" Name"))
		reg := s.Privacy.Registry()
		gone := seedUser(t, s.DB, reg, uid, canary)
		stays := seedUser(t, s.DB, reg, other, keeper)
		// Conversations long enough to fill pages shared by both accounts, some messages
		// spilling into overflow pages, and replies rewritten as they stream: the purged
		// account's bytes sit next to live rows, in old row versions and in freed space.
		writeConversation(t, s.DB, gone, uid, canary)
		writeConversation(t, s.DB, stays, other, keeper)

		must(t, s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}), http.StatusOK, "delete")
		failedDelivery(t, s.DB, uid, canary+"@example.com")
		s.Privacy.SetClock(func() time.Time { return time.Now().Add(s.Config.DeletionGrace + time.Minute) })
		purged, _, err := s.Privacy.RunAll(ctx)
		if err != nil || purged != 1 {
			t.Fatalf("retention run: purged %d, %v", purged, err)
		}

		var jobs int
		q := `SELECT COUNT(*) FROM river_job WHERE instr(json(errors), $1) > 0`
		if tg.Dialect == db.Postgres {
			q = `SELECT COUNT(*) FROM river_job WHERE strpos(errors::text, $1) > 0`
		}
		if err := s.DB.R.QueryRow(q, canary).Scan(&jobs); err != nil || jobs != 0 {
			t.Fatalf("failed delivery jobs quoting the address after the purge: %d %v", jobs, err)
		}
		if tg.Dialect == db.Postgres {
			assertVacuumed(t, s.DB, reg.UserTables())
			return
		}
		path := s.DB.Path
		secrets := []string{canary, uid}
		assertBytes(t, "while serving", path, secrets, keeper)
		s.Stop()
		assertBytes(t, "after stopping", path, secrets, keeper)
	})
}

// failedDelivery records a delivery of the user's deletion email that the mail server
// refused, quoting the address, as the job queue keeps it.
func failedDelivery(t *testing.T, d *db.DB, userID, addr string) {
	t.Helper()
	var mailID string
	if err := d.R.QueryRow(`SELECT id FROM mail_outbox WHERE user_id = $1 AND kind = 'account_deletion_scheduled'`, userID).Scan(&mailID); err != nil {
		t.Fatal(err)
	}
	args := `{"mail_id":"` + mailID + `"}`
	fail := `{"at":"2026-11-30T03:00:00Z","attempt":1,"error":"mail: send via smtp: 550 5.1.1 <` + addr + `>: Recipient address rejected"}`
	q := `INSERT INTO river_job (args, kind, state, attempt, finalized_at, errors) VALUES (jsonb($1), 'mail_send', 'discarded', 1, CURRENT_TIMESTAMP, jsonb_array(jsonb($2)))`
	if d.Dialect == db.Postgres {
		q = `INSERT INTO river_job (args, kind, state, attempt, finalized_at, errors) VALUES ($1::jsonb, 'mail_send', 'discarded', 1, now(), ARRAY[$2::jsonb])`
	}
	if _, err := d.W.Exec(q, args, fail); err != nil {
		t.Fatal(err)
	}
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeConversation adds 120 messages to the seeded conversation through the write path
// the chat uses (d.Tx, group commit), a third of them longer than a page, then rewrites
// every other reply the way a streaming reply grows.
func writeConversation(t *testing.T, d *db.DB, rows seeded, userID, marker string) {
	t.Helper()
	ctx := context.Background()
	conv := rows["conversations"]["id"]
	for i := range 120 {
		size := 300
		if i%3 == 0 {
			size = 6000 // more than a page: overflow pages
		}
		id := fmt.Sprintf("%s-msg-%d", marker, i)
		body := strings.Repeat(marker+" message text ", size/20)
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'assistant', $5, 'complete', 0, 0)`, id, conv, userID, 1000+i, body)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := d.Exec(ctx, `UPDATE messages SET content = content || $1 WHERE id = $2`, strings.Repeat(marker+" more ", 40), id); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// assertBytes reads the SQLite database file, its write-ahead log and its shared-memory
// index as bytes and fails when any secret appears; kept must still appear (the check
// reads the right files).
func assertBytes(t *testing.T, when, path string, secrets []string, kept string) {
	t.Helper()
	var all []byte
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range secrets {
			if n := bytes.Count(b, []byte(sec)); n > 0 {
				t.Errorf("%s: %s holds %q %d times", when, filepath.Base(f), sec, n)
			}
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte(kept)) {
		t.Fatalf("%s: the remaining account's data is not in the files either: the check reads the wrong files", when)
	}
}

// assertVacuumed checks that every table the purge deleted from has been vacuumed.
func assertVacuumed(t *testing.T, d *db.DB, tables []privacy.Table) {
	t.Helper()
	for _, tb := range tables {
		var vacuumed bool
		err := d.R.QueryRow(`SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname = $1`, tb.Name).Scan(&vacuumed)
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		if !vacuumed {
			t.Errorf("%s: not vacuumed after the purge", tb.Name)
		}
	}
}
