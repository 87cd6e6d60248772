package chat_test

import (
	"context"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// Conversations from before versions were linear: the tree migration makes each message
// follow the one before it, shows the last message, and ties the summary to the message
// it ends at.
func TestMigrationMakesLinearConversationsATree(t *testing.T) {
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
		apply(func(v int) bool { return v < 100 })
		for _, q := range []string{
			`INSERT INTO users (id, email, name, plan, timezone, created_at, updated_at) VALUES ('u1', 'u1@example.com', 'u1', 'free', 'UTC', 1, 1)`,
			`INSERT INTO conversations (id, user_id, title, summary, summary_through, created_at, updated_at) VALUES ('c1', 'u1', 'Old', 'so far', 2, 1, 1)`,
			`INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ('c2', 'u1', '', 1, 1)`,
			`INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, created_at, updated_at) VALUES
				('m1', 'c1', 'u1', 1, 'user', 'a', 'complete', 1, 1), ('m2', 'c1', 'u1', 2, 'assistant', 'b', 'complete', 1, 1),
				('m3', 'c1', 'u1', 3, 'user', 'c', 'complete', 1, 1), ('m4', 'c1', 'u1', 4, 'assistant', 'd', 'complete', 1, 1)`,
		} {
			if _, err := d.W.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		apply(func(v int) bool { return v >= 100 && v < 110 })
		rows, err := d.R.QueryContext(ctx, `SELECT id, COALESCE(parent_id, '') FROM messages ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		parents := map[string]string{}
		for rows.Next() {
			var id, p string
			if err := rows.Scan(&id, &p); err != nil {
				t.Fatal(err)
			}
			parents[id] = p
		}
		rows.Close()
		if parents["m1"] != "" || parents["m2"] != "m1" || parents["m3"] != "m2" || parents["m4"] != "m3" {
			t.Fatalf("parents: %v", parents)
		}
		var leaf, through, source string
		if err := d.R.QueryRowContext(ctx, `SELECT COALESCE(leaf_id, ''), summary_through_id, title_source FROM conversations WHERE id = 'c1'`).
			Scan(&leaf, &through, &source); err != nil {
			t.Fatal(err)
		}
		if leaf != "m4" || through != "m2" || source != "" {
			t.Fatalf("leaf %q, summary through %q, title source %q", leaf, through, source)
		}
		if err := d.R.QueryRowContext(ctx, `SELECT COALESCE(leaf_id, ''), summary_through_id FROM conversations WHERE id = 'c2'`).
			Scan(&leaf, &through); err != nil || leaf != "" || through != "" {
			t.Fatalf("an empty conversation: leaf %q through %q (%v)", leaf, through, err)
		}
	})
}
