package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// TestReusedStatements: the same query text runs again while a result of it is still
// open (nested in one transaction), after a rolled-back transaction, and among more
// distinct texts than a connection keeps prepared, and always answers with the rows of
// the moment.
func TestReusedStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const q = `SELECT id FROM users WHERE email LIKE $1 ORDER BY id`
		for i := range 3 {
			if err := d.Tx(ctx, func(tx *sql.Tx) error { return insertUser(ctx, tx, fmt.Sprintf("s%d", i)) }); err != nil {
				t.Fatal(err)
			}
		}
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			outer, err := tx.QueryContext(ctx, q, "s%")
			if err != nil {
				return err
			}
			defer outer.Close()
			var seen []string
			for outer.Next() {
				var id string
				if err := outer.Scan(&id); err != nil {
					return err
				}
				seen = append(seen, id)
				if d.Dialect != db.SQLite {
					continue // pgx runs one query at a time on a connection
				}
				// The same text while outer is open: its own rows, not outer's.
				var inner []string
				rows, err := tx.QueryContext(ctx, q, id+"%")
				if err != nil {
					return err
				}
				for rows.Next() {
					var x string
					_ = rows.Scan(&x)
					inner = append(inner, x)
				}
				rows.Close()
				if len(inner) != 1 || inner[0] != id {
					t.Errorf("inner query for %s: %v", id, inner)
				}
			}
			if fmt.Sprint(seen) != "[s0 s1 s2]" {
				t.Errorf("outer query: %v", seen)
			}
			return outer.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		// A rolled-back insert is not seen by the next run of the same statements.
		errRollback := fmt.Errorf("roll back")
		if err := d.Tx(ctx, func(tx *sql.Tx) error {
			if err := insertUser(ctx, tx, "s9"); err != nil {
				return err
			}
			return errRollback
		}); err != errRollback {
			t.Fatal(err)
		}
		// More distinct texts than a connection keeps, then the first again.
		for i := range 300 {
			var n int
			if err := d.R.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*) + %d FROM users WHERE email LIKE $1`, i), "s%").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 3+i {
				t.Fatalf("query %d: %d", i, n)
			}
		}
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return insertUser(ctx, tx, "s3") }); err != nil {
			t.Fatal(err)
		}
		var ids []string
		rows, err := d.R.QueryContext(ctx, q, "s%")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if fmt.Sprint(ids) != "[s0 s1 s2 s3]" {
			t.Fatalf("after eviction: %v", ids)
		}
	})
}
