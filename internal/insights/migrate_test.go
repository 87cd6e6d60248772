package insights_test

import (
	"context"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// The guidance chat kept (learned_guidance, one row per user) becomes each user's first
// version when the versioned tables arrive: no user's guidance is lost.
func TestMigrationKeepsExistingGuidance(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		d, err := db.Open(ctx, tg.Options)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		ms, err := db.Migrations(tg.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		apply := func(keep func(v int) bool) {
			for _, m := range ms {
				if keep(m.Version) {
					if _, err := d.W.ExecContext(ctx, m.SQL); err != nil {
						t.Fatalf("migration %d: %v", m.Version, err)
					}
				}
			}
		}
		apply(func(v int) bool { return v < 60 })
		for _, id := range []string{"u1", "u2", "u3"} {
			if _, err := d.W.ExecContext(ctx, `INSERT INTO users (id, email, name, plan, timezone, created_at, updated_at)
				VALUES ($1, $2, $1, 'free', 'UTC', 1, 1)`, id, id+"@example.com"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.W.ExecContext(ctx, `INSERT INTO learned_guidance (user_id, guidance, updated_at)
			VALUES ('u1', '- Be brief.', 1000), ('u2', '', 2000)`); err != nil {
			t.Fatal(err)
		}
		apply(func(v int) bool { return v >= 60 && v < 70 })
		var text, source string
		var seq, at int64
		if err := d.R.QueryRowContext(ctx, `SELECT text, source, seq, created_at FROM guidance_versions WHERE user_id = 'u1'`).
			Scan(&text, &source, &seq, &at); err != nil {
			t.Fatal(err)
		}
		if text != "- Be brief." || source != "nightly" || seq != 1 || at != 1000 {
			t.Fatalf("migrated version = %q %q %d %d", text, source, seq, at)
		}
		var n int
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM guidance_versions`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d versions (%v): an empty guidance needs none", n, err)
		}
	})
}
