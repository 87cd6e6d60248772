package privacy_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/privacy"
)

// samples gives values for columns whose content the schema constrains beyond its type
// (CHECK constraints, or a UNIQUE integer: a func(marker) gives each seeded user their
// own); every other column gets a generic value derived from its type.
var samples = map[string]any{
	"telegram_links.chat_id":     markerNumber,
	"telegram_updates.update_id": markerNumber,
}

// markerNumber derives a distinct positive integer from a seed marker.
func markerNumber(marker string) any {
	var n int64 = 7
	for _, c := range marker {
		n = (n*31 + int64(c)) % 1_000_000_007
	}
	return n + 1
}

// seeded is one generic row per user-owned table, by table and column.
type seeded map[string]map[string]any

// seedUser inserts one row into every user-owned table for userID (the users row itself
// exists already), derived from the schema alone: the owner column gets the user's id, a
// foreign key the key of the row seeded in the table it refers to, every other column a
// value of its type carrying marker, so the row can be recognised in an export.
func seedUser(t *testing.T, d *db.DB, reg *privacy.Registry, userID, marker string) seeded {
	t.Helper()
	ctx := context.Background()
	out := seeded{"users": {"id": userID}}
	tables := seedOrder(t, d, reg)
	for _, tb := range tables {
		if tb.Name == "users" {
			continue
		}
		cols, err := privacy.Columns(ctx, d, tb.Name)
		if err != nil {
			t.Fatal(err)
		}
		row := map[string]any{}
		var names, params []string
		var args []any
		for _, c := range cols {
			if c.Generated {
				continue
			}
			v := seedValue(t, tb, c, userID, marker, out)
			row[c.Name] = v
			names = append(names, c.Name)
			args = append(args, v)
			params = append(params, fmt.Sprintf("$%d", len(args)))
		}
		q := `INSERT INTO ` + tb.Name + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(params, ", ") + `)`
		if _, err := d.W.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("seed %s: %v (add a sample value for a constrained column to samples)", tb.Name, err)
		}
		out[tb.Name] = row
	}
	return out
}

func seedValue(t *testing.T, tb privacy.Table, c privacy.Column, userID, marker string, rows seeded) any {
	if v, ok := samples[tb.Name+"."+c.Name]; ok {
		if f, ok := v.(func(string) any); ok {
			return f(marker)
		}
		return v
	}
	if tb.Owner.Parent == "" && c.Name == tb.Owner.Column {
		return userID
	}
	if c.References != "" {
		ref, col, _ := strings.Cut(c.References, ".")
		parent, ok := rows[ref]
		if !ok {
			t.Fatalf("seed %s.%s: refers to %s, which has no seeded row", tb.Name, c.Name, ref)
		}
		return parent[col]
	}
	typ := c.Type
	switch {
	case strings.Contains(typ, "BOOL"):
		return true
	case strings.Contains(typ, "INT"):
		if strings.HasSuffix(c.Name, "_at") {
			// A day ahead: no retention or expiry sweep running meanwhile takes the row.
			return time.Now().Add(24 * time.Hour).UnixMilli()
		}
		return 1
	case strings.Contains(typ, "CHAR"), strings.Contains(typ, "TEXT"), typ == "":
		return marker + "-" + tb.Name + "-" + c.Name
	case strings.Contains(typ, "REAL"), strings.Contains(typ, "DOUBLE"), strings.Contains(typ, "NUMERIC"):
		return 1.5
	case strings.Contains(typ, "BLOB"), strings.Contains(typ, "BYTEA"):
		return []byte(marker)
	case strings.Contains(typ, "JSON"):
		return `{"seed":"` + marker + `"}`
	}
	t.Fatalf("seed %s.%s: no generic value for type %s", tb.Name, c.Name, typ)
	return nil
}

// seedOrder sorts the user-owned tables so that every table comes after the tables its
// foreign keys and owner path refer to.
func seedOrder(t *testing.T, d *db.DB, reg *privacy.Registry) []privacy.Table {
	t.Helper()
	deps := map[string][]string{}
	for _, tb := range reg.UserTables() {
		cols, err := privacy.Columns(context.Background(), d, tb.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			if ref, _, ok := strings.Cut(c.References, "."); ok && ref != tb.Name {
				deps[tb.Name] = append(deps[tb.Name], ref)
			}
		}
		for o := tb.Owner; o != nil && o.Parent != ""; o = o.Next {
			deps[tb.Name] = append(deps[tb.Name], o.Parent)
		}
	}
	var out []privacy.Table
	done := map[string]bool{}
	var visit func(tb privacy.Table, path []string)
	visit = func(tb privacy.Table, path []string) {
		if done[tb.Name] {
			return
		}
		if slices.Contains(path, tb.Name) {
			t.Fatalf("seed: foreign keys form a cycle: %v", append(path, tb.Name))
		}
		for _, dep := range deps[tb.Name] {
			p, ok := reg.Table(dep)
			if !ok || !p.UserOwned() {
				t.Fatalf("seed: %s refers to %s, which is not a declared user-owned table", tb.Name, dep)
			}
			visit(p, append(path, tb.Name))
		}
		done[tb.Name] = true
		out = append(out, tb)
	}
	for _, tb := range reg.UserTables() {
		visit(tb, nil)
	}
	return out
}

// countOwned counts the user's rows in a user-owned table.
func countOwned(t *testing.T, d *db.DB, tb privacy.Table, userID string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+tb.Name+` WHERE `+tb.Owner.Where(), userID).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", tb.Name, err)
	}
	return n
}
