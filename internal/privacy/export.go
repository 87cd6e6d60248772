package privacy

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/db"
)

// FormatVersion is the version of the export document (docs/export-format.md). It
// changes when a field changes meaning or disappears; new sections and columns do not
// change it.
const FormatVersion = 3

// Export writes the user's complete data to w as one JSON document: every row of every
// user-owned table, section by section, read from one consistent snapshot and written row
// by row, so memory use does not grow with the size of the account.
func (s *Service) Export(ctx context.Context, userID string, w io.Writer) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.db.Dialect == db.Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.R.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("privacy: export: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	bw := bufio.NewWriterSize(w, 32<<10)
	e := &exportWriter{w: bw}
	e.raw("{\n")
	e.field("format_version", FormatVersion, true)
	e.field("exported_at", exportTime(db.Millis(s.now())), false)
	e.field("user_id", userID, false)
	for _, t := range s.reg.UserTables() {
		if err := e.section(ctx, tx, t, userID); err != nil {
			return err
		}
	}
	tps, err := s.ThirdParties(ctx, userID)
	if err != nil {
		return err
	}
	e.field("third_parties", tps, false)
	// A document cut short by a failure lacks this field (and is not valid JSON).
	e.raw(",\n  \"complete\": true\n}\n")
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

// exportWriter writes the document; the first write error sticks.
type exportWriter struct {
	w   *bufio.Writer
	err error
}

func (e *exportWriter) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *exportWriter) json(v any) {
	if e.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		e.err = err
		return
	}
	_, e.err = e.w.Write(b)
}

func (e *exportWriter) field(name string, v any, first bool) {
	if !first {
		e.raw(",\n")
	}
	e.raw("  ")
	e.json(name)
	e.raw(": ")
	e.json(v)
}

// section writes one table's rows: a list, or an object for a Single table.
func (e *exportWriter) section(ctx context.Context, tx *sql.Tx, t Table, userID string) error {
	order := t.Order
	if order == "" {
		order = "1"
	}
	rows, err := tx.QueryContext(ctx, `SELECT * FROM `+t.Name+` WHERE `+t.Owner.Where()+` ORDER BY `+order, userID)
	if err != nil {
		return fmt.Errorf("privacy: export %s: %w", t.Name, err)
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("privacy: export %s: %w", t.Name, err)
	}
	conv := make([]converter, len(cols))
	for i, c := range cols {
		conv[i] = converterFor(t, c)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	e.raw(",\n  ")
	e.json(t.Section)
	e.raw(": ")
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("privacy: export %s: %w", t.Name, err)
		}
		switch {
		case t.Single && n > 0:
			return fmt.Errorf("privacy: export %s: more than one row for a single-row section", t.Name)
		case t.Single:
		case n == 0:
			e.raw("[\n    ")
		default:
			e.raw(",\n    ")
		}
		e.row(cols, conv, vals)
		n++
		if e.err != nil {
			return e.err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("privacy: export %s: %w", t.Name, err)
	}
	switch {
	case t.Single && n == 0:
		e.raw("null")
	case t.Single:
	case n == 0:
		e.raw("[]")
	default:
		e.raw("\n  ]")
	}
	return e.err
}

func (e *exportWriter) row(cols []*sql.ColumnType, conv []converter, vals []any) {
	e.raw("{")
	first := true
	for i, c := range cols {
		if conv[i] == nil {
			continue
		}
		if !first {
			e.raw(", ")
		}
		first = false
		e.json(c.Name())
		e.raw(": ")
		e.json(conv[i](vals[i]))
	}
	e.raw("}")
}

// converter turns a scanned value into its exported form; a nil converter omits the column.
type converter func(any) any

// converterFor decides how a column is exported, the same way on both databases: secrets
// (Omit, and every column named *_hash) not at all, times
// (columns named *_at, stored as unix milliseconds) as RFC 3339 UTC strings, booleans as
// booleans (SQLite stores them as 0/1), bytes as text.
func converterFor(t Table, c *sql.ColumnType) converter {
	name := c.Name()
	// Hashes of passwords, tokens and codes are never exported, whatever the table.
	if slices.Contains(t.Omit, name) || strings.HasSuffix(name, "_hash") {
		return nil
	}
	typ := strings.ToUpper(c.DatabaseTypeName())
	switch {
	case strings.HasSuffix(name, "_at"):
		return exportTime
	case typ == "BOOLEAN" || typ == "BOOL" || slices.Contains(t.Booleans, name):
		return exportBool
	}
	return exportPlain
}

func exportTime(v any) any {
	if ms, ok := v.(int64); ok {
		return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return exportPlain(v)
}

func exportBool(v any) any {
	switch x := v.(type) {
	case int64:
		return x != 0
	case bool:
		return x
	}
	return exportPlain(v)
}

func exportPlain(v any) any {
	switch x := v.(type) {
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}
