package privacy_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/jobs"
)

// mentionArgs is a job whose arguments name a user, as many features' jobs do.
type mentionArgs struct {
	UserID string `json:"user_id"`
}

func (mentionArgs) Kind() string { return "privacy_test_mention" }

// insertMention queues a job naming userID, scheduled far ahead so nothing runs it.
func insertMention(t *testing.T, s *apptest.Server, userID string) {
	t.Helper()
	ctx := context.Background()
	q, err := jobs.New(s.DB, jobs.Options{}) // insert-only
	if err != nil {
		t.Fatal(err)
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := q.Insert(ctx, tx, mentionArgs{UserID: userID}, &river.InsertOpts{ScheduledAt: time.Now().Add(24 * time.Hour)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countMentions(t *testing.T, s *apptest.Server, userID string) int {
	t.Helper()
	pred := `instr(json(args), $1) > 0`
	if s.DB.Dialect == "postgres" {
		pred = `strpos(args::text, $1) > 0`
	}
	var n int
	if err := s.DB.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job WHERE `+pred, userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestExportAndPurgeCoverEveryUserTable seeds a row in every user-owned table of the
// schema for two users, exports one of them, deletes that account and purges it after
// the grace. For every user-owned table: the export holds exactly the user's rows (and
// none of the other user's), and the purge leaves none of them while the other user's
// rows stay. Job rows naming the user go too.
func TestExportAndPurgeCoverEveryUserTable(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		reg := s.Privacy.Registry()
		uid, tok := authtest.NewUser(t, s)
		other, otherTok := authtest.NewUser(t, s)
		seedUser(t, s.DB, reg, uid, "canary-owner")
		seedUser(t, s.DB, reg, other, "canary-bystander")
		insertMention(t, s, uid)
		insertMention(t, s, other)

		want := map[string]int{}
		for _, tb := range reg.UserTables() {
			want[tb.Name] = countOwned(t, s.DB, tb, uid)
			if want[tb.Name] == 0 {
				t.Fatalf("%s: no row seeded for the user", tb.Name)
			}
		}

		// What is held (PRIV-1) counts the same rows.
		var held struct {
			Sections []struct {
				Section string
				Rows    int
			}
		}
		must(t, s.Do("GET", "/api/v1/me/data", tok, nil), http.StatusOK, "data summary").JSON(t, &held)
		if len(held.Sections) != len(reg.UserTables()) {
			t.Fatalf("data summary has %d sections, want %d", len(held.Sections), len(reg.UserTables()))
		}
		for i, tb := range reg.UserTables() {
			if got := held.Sections[i]; got.Section != tb.Section || got.Rows != want[tb.Name] {
				t.Errorf("data summary: %+v, want %s with %d rows", got, tb.Section, want[tb.Name])
			}
		}

		res := s.Do("GET", "/api/v1/me/export", tok, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("export: %d %s", res.Status, res.Body)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Fatalf("Content-Disposition %q, want an attachment", cd)
		}
		var doc map[string]json.RawMessage
		res.JSON(t, &doc)
		if string(doc["format_version"]) != "3" || string(doc["complete"]) != "true" {
			t.Fatalf("format_version %s, complete %s", doc["format_version"], doc["complete"])
		}
		if strings.Contains(string(res.Body), "canary-bystander") {
			t.Fatal("the export holds another user's data")
		}
		for _, secret := range []string{`_hash"`, "$2a$"} {
			if strings.Contains(string(res.Body), secret) {
				t.Fatalf("the export holds %q", secret)
			}
		}
		for _, tb := range reg.UserTables() {
			raw, ok := doc[tb.Section]
			if !ok {
				t.Errorf("%s: section %s missing from the export", tb.Name, tb.Section)
				continue
			}
			var rows []map[string]any
			if tb.Single {
				var one map[string]any
				if err := json.Unmarshal(raw, &one); err != nil || one == nil {
					t.Errorf("%s: section %s is not an object: %s", tb.Name, tb.Section, raw)
					continue
				}
				rows = append(rows, one)
			} else if err := json.Unmarshal(raw, &rows); err != nil {
				t.Errorf("%s: section %s is not a list: %v", tb.Name, tb.Section, err)
				continue
			}
			if len(rows) != want[tb.Name] {
				t.Errorf("%s: export has %d rows, the database %d", tb.Name, len(rows), want[tb.Name])
			}
			if tb.Name != "users" && !strings.Contains(string(raw), "canary-owner-"+tb.Name) {
				t.Errorf("%s: the seeded row is not in section %s", tb.Name, tb.Section)
			}
		}

		var purgeHook []string
		s.Privacy.OnPurge(func(ctx context.Context, tx *sql.Tx, userID string) error {
			// The hook runs before the rows go: it can still read what it must clean up.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, userID).Scan(&n); err != nil {
				return err
			}
			purgeHook = append(purgeHook, fmt.Sprint(userID, n))
			return nil
		})
		res = s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password})
		if res.Status != http.StatusOK {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		// Within the grace nothing is purged.
		if n, err := s.Privacy.PurgeDue(context.Background()); err != nil || n != 0 {
			t.Fatalf("purge within the grace: %d, %v", n, err)
		}
		s.Privacy.SetClock(func() time.Time { return time.Now().Add(s.Config.DeletionGrace + time.Minute) })
		if n, err := s.Privacy.PurgeDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("purge after the grace: %d, %v", n, err)
		}
		for _, tb := range reg.UserTables() {
			if n := countOwned(t, s.DB, tb, uid); n != 0 {
				t.Errorf("%s: %d row(s) of the purged user left", tb.Name, n)
			}
			if n := countOwned(t, s.DB, tb, other); n == 0 {
				t.Errorf("%s: the other user's rows were purged too", tb.Name)
			}
		}
		if len(purgeHook) != 1 || purgeHook[0] != uid+"1" {
			t.Errorf("purge hooks saw %v", purgeHook)
		}
		if n := countMentions(t, s, uid); n != 0 {
			t.Errorf("river_job: %d job(s) naming the purged user left", n)
		}
		if n := countMentions(t, s, other); n == 0 {
			t.Error("river_job: the other user's job was purged too")
		}
		if res := s.Do("GET", "/api/v1/me", otherTok, nil); res.Status != http.StatusOK {
			t.Fatalf("the other user can no longer use the service: %d", res.Status)
		}
	})
}
