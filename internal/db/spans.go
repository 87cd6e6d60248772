package db

import (
	"context"
	"database/sql"
)

// Span is when something named was first and last used, for reports such as the third
// parties that processed a user's data.
type Span struct {
	Name        string
	First, Last int64 // stored milliseconds; convert with Time
}

// Spans runs query, which selects (name, first, last) rows, and returns them.
func Spans(ctx context.Context, r *sql.DB, query string, args ...any) ([]Span, error) {
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Span
	for rows.Next() {
		var s Span
		if err := rows.Scan(&s.Name, &s.First, &s.Last); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
