package mail

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
)

// Stored is a message in the outbox table.
type Stored struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	HTML      string    `json:"html"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// Filter narrows List.
type Filter struct {
	// To keeps messages to one address ("" for all).
	To string
	// Limit caps the number of messages (default 50).
	Limit int
}

// List returns stored messages, newest first. Messages sent through Resend or SMTP have
// empty bodies (cleared once sent).
func List(ctx context.Context, d *db.DB, f Filter) ([]Stored, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	rows, err := d.R.QueryContext(ctx, `SELECT id, kind, to_addr, subject, text_body, html_body, status, created_at
		FROM mail_outbox WHERE ($1 = '' OR to_addr = $1) ORDER BY created_at DESC, id LIMIT $2`, f.To, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("mail: list: %w", err)
	}
	defer rows.Close()
	out := []Stored{}
	for rows.Next() {
		var m Stored
		var at int64
		if err := rows.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Status, &at); err != nil {
			return nil, err
		}
		m.CreatedAt = db.Time(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
