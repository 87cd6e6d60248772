package privacy

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"myally.app/ally/internal/db"
)

// SchemaTables lists every table of the migrated schema: Ally's, the job queue's and the
// database's own bookkeeping tables (sqlite_sequence). On PostgreSQL it lists the tables of
// the current schema.
func SchemaTables(ctx context.Context, d *db.DB) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if d.Dialect == db.Postgres {
		q = `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := d.R.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("privacy: list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, rows.Err()
}

// Column describes one column of a table.
type Column struct {
	Name string
	// Type is the declared type, upper case (TEXT, BIGINT, BOOLEAN, …).
	Type       string
	NotNull    bool
	HasDefault bool
	// Generated is a column the database fills itself (an INTEGER PRIMARY KEY on SQLite,
	// an identity or serial column on PostgreSQL).
	Generated bool
	// References is "table.column" when the column is a foreign key.
	References string
}

// Columns describes the columns of table, in order.
func Columns(ctx context.Context, d *db.DB, table string) ([]Column, error) {
	if d.Dialect == db.Postgres {
		return pgColumns(ctx, d, table)
	}
	return sqliteColumns(ctx, d, table)
}

func sqliteColumns(ctx context.Context, d *db.DB, table string) ([]Column, error) {
	// PRAGMA table_info takes no parameters; the name is quoted as an identifier.
	quoted := `"` + strings.ReplaceAll(table, `"`, `""`) + `"`
	rows, err := d.R.QueryContext(ctx, `PRAGMA table_info(`+quoted+`)`)
	if err != nil {
		return nil, fmt.Errorf("privacy: columns of %s: %w", table, err)
	}
	var cols []Column
	var pkCount int
	for rows.Next() {
		var (
			cid, notnull, pk int
			name, typ        string
			dflt             sql.NullString
		)
		if err := rows.Scan(&cid, &name, &typ, &notnull, &dflt, &pk); err != nil {
			rows.Close()
			return nil, err
		}
		typ = strings.ToUpper(typ)
		if pk > 0 {
			pkCount++
		}
		cols = append(cols, Column{Name: name, Type: typ, NotNull: notnull == 1 || pk > 0, HasDefault: dflt.Valid,
			Generated: pk == 1 && typ == "INTEGER"})
	}
	rows.Close()
	if pkCount > 1 { // only a lone INTEGER PRIMARY KEY is a rowid alias
		for i := range cols {
			cols[i].Generated = false
		}
	}
	fks, err := d.R.QueryContext(ctx, `PRAGMA foreign_key_list(`+quoted+`)`)
	if err != nil {
		return nil, fmt.Errorf("privacy: foreign keys of %s: %w", table, err)
	}
	defer fks.Close()
	for fks.Next() {
		var (
			id, seq                       int
			ref, from                     string
			to, onUpdate, onDelete, match sql.NullString
		)
		if err := fks.Scan(&id, &seq, &ref, &from, &to, &onUpdate, &onDelete, &match); err != nil {
			return nil, err
		}
		for i := range cols {
			if cols[i].Name == from {
				cols[i].References = ref + "." + to.String
			}
		}
	}
	return cols, fks.Err()
}

func pgColumns(ctx context.Context, d *db.DB, table string) ([]Column, error) {
	rows, err := d.R.QueryContext(ctx, `SELECT column_name, upper(data_type), is_nullable = 'NO',
			column_default IS NOT NULL, is_identity = 'YES' OR COALESCE(column_default, '') LIKE 'nextval(%'
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1
		ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("privacy: columns of %s: %w", table, err)
	}
	var cols []Column
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &c.HasDefault, &c.Generated); err != nil {
			rows.Close()
			return nil, err
		}
		cols = append(cols, c)
	}
	rows.Close()
	fks, err := d.R.QueryContext(ctx, `SELECT kcu.column_name, ccu.table_name, ccu.column_name
		FROM information_schema.table_constraints tc
		JOIN information_schema.key_column_usage kcu
			ON kcu.constraint_name = tc.constraint_name AND kcu.constraint_schema = tc.constraint_schema
		JOIN information_schema.constraint_column_usage ccu
			ON ccu.constraint_name = tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema
		WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() AND tc.table_name = $1`, table)
	if err != nil {
		return nil, fmt.Errorf("privacy: foreign keys of %s: %w", table, err)
	}
	defer fks.Close()
	for fks.Next() {
		var from, ref, to string
		if err := fks.Scan(&from, &ref, &to); err != nil {
			return nil, err
		}
		for i := range cols {
			if cols[i].Name == from {
				cols[i].References = ref + "." + to
			}
		}
	}
	return cols, fks.Err()
}
