package bench

import (
	"context"
	"fmt"
	"strings"

	"myally.app/ally/internal/db"
)

// soakDB reads the end state of a soak straight from the database.
type soakDB struct{ *db.DB }

func openSoakDB(ctx context.Context, url, path string) (*soakDB, error) {
	d, err := db.Open(ctx, db.Options{URL: url, Path: path})
	if err != nil {
		return nil, err
	}
	return &soakDB{d}, nil
}

type storedMsg struct {
	id, role, content, status string
	in, out, cr, cw           int64
}

// check evaluates the soak's invariants. window is how much text (bytes) a crash may
// lose: what streams in one flush interval.
func (d *soakDB) check(ctx context.Context, outcomes []*soakOutcome, tokensLimit int64, window int, statuses map[string]int) ([]Invariant, error) {
	rows, err := d.R.QueryContext(ctx, `SELECT id, role, content, status, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM messages`)
	if err != nil {
		return nil, err
	}
	byID := map[string]*storedMsg{}
	userByContent := map[string][]*storedMsg{}
	for rows.Next() {
		m := &storedMsg{}
		if err := rows.Scan(&m.id, &m.role, &m.content, &m.status, &m.in, &m.out, &m.cr, &m.cw); err != nil {
			rows.Close()
			return nil, err
		}
		byID[m.id] = m
		if m.role == "user" {
			userByContent[m.content] = append(userByContent[m.content], m)
		} else {
			statuses[m.status]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Invariant
	add := func(name string, problems []string, detail string) {
		inv := Invariant{Name: name, OK: len(problems) == 0, Detail: detail}
		if len(problems) > 0 {
			if len(problems) > 5 {
				problems = append(problems[:5], fmt.Sprintf("… %d more", len(problems)-5))
			}
			inv.Detail = strings.Join(problems, "; ")
		}
		out = append(out, inv)
	}

	// 1. Every accepted user message stored once; refused ones not at all; unanswered at most once.
	var p1 []string
	accepted, unknownStored := 0, 0
	for _, o := range outcomes {
		for _, r := range o.Replies {
			accepted++
			got := userByContent[r.Content]
			if len(got) != 1 || got[0].id != r.UserMsgID {
				p1 = append(p1, fmt.Sprintf("message %s stored %d times", r.UserMsgID, len(got)))
			}
		}
		for _, c := range o.Refused {
			if n := len(userByContent[c]); n != 0 {
				p1 = append(p1, fmt.Sprintf("refused send stored %d times", n))
			}
		}
		for _, c := range o.Unknown {
			n := len(userByContent[c])
			unknownStored += n
			if n > 1 {
				p1 = append(p1, fmt.Sprintf("unanswered send stored %d times", n))
			}
		}
	}
	add("every accepted user message stored once", p1, fmt.Sprintf("%d accepted, each stored once; refused sends not stored; %d of the sends that got no answer were stored (once each)", accepted, unknownStored))

	// 2. Every reply terminal with its text, and 3. no seen text lost beyond one flush window.
	var p2, p3 []string
	maxLost, lostReplies := 0, 0
	for _, o := range outcomes {
		for _, r := range o.Replies {
			m := byID[r.ReplyID]
			if m == nil {
				p2 = append(p2, "reply "+r.ReplyID+" not stored")
				continue
			}
			switch m.status {
			case "complete", "stopped", "failed", "interrupted":
			default:
				p2 = append(p2, fmt.Sprintf("reply %s left %s", m.id, m.status))
			}
			if m.status == "complete" && strings.TrimSpace(m.content) == "" {
				p2 = append(p2, "complete reply "+m.id+" has no text")
			}
			seen, stored := norm(r.Seen), norm(m.content)
			switch {
			case strings.HasPrefix(stored, seen):
			case m.status == "interrupted" && strings.HasPrefix(seen, stored):
				lost := len(seen) - len(stored)
				lostReplies++
				maxLost = max(maxLost, lost)
				if lost > window {
					p3 = append(p3, fmt.Sprintf("interrupted reply %s lost %d bytes the client saw (window %d)", m.id, lost, window))
				}
			default:
				p3 = append(p3, fmt.Sprintf("reply %s (%s): stored text %q does not hold the seen %q", m.id, m.status, clipText(stored), clipText(seen)))
			}
		}
	}
	var streaming int
	for _, m := range byID {
		if m.role != "user" && m.status == "streaming" {
			streaming++
		}
	}
	if streaming > 0 {
		p2 = append(p2, fmt.Sprintf("%d replies still streaming", streaming))
	}
	add("every reply terminal with its text", p2, fmt.Sprintf("%d replies, all complete, stopped, failed or interrupted", len(byID)-len(userByContent)))
	add("no text the client saw unstored beyond one flush window", p3, fmt.Sprintf("%d interrupted replies lost seen text, at most %d bytes (window %d)", lostReplies, maxLost, window))

	// 4. The ledger equals the sum of the replies' usage, per reply and per user-day.
	var p4 []string
	led := map[string][4]int64{}
	rows, err = d.R.QueryContext(ctx, `SELECT message_id, SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens) FROM usage_events GROUP BY message_id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var v [4]int64
		if err := rows.Scan(&id, &v[0], &v[1], &v[2], &v[3]); err != nil {
			rows.Close()
			return nil, err
		}
		led[id] = v
	}
	rows.Close()
	var ledgerTokens int64
	for _, m := range byID {
		if m.role == "user" {
			continue
		}
		want := [4]int64{m.in, m.out, m.cr, m.cw}
		if led[m.id] != want {
			p4 = append(p4, fmt.Sprintf("reply %s (%s): ledger %v, reply %v", m.id, m.status, led[m.id], want))
		}
		ledgerTokens += m.in + m.out
	}
	var reservations, reserved int64
	if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_reservations`).Scan(&reservations); err != nil {
		return nil, err
	}
	if err := d.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(reserved_tokens), 0) FROM usage_daily`).Scan(&reserved); err != nil {
		return nil, err
	}
	if reservations != 0 || reserved != 0 {
		p4 = append(p4, fmt.Sprintf("%d reservations (%d tokens) left unsettled", reservations, reserved))
	}
	var dayMismatch int64
	if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_daily d WHERE d.input_tokens + d.output_tokens + d.cache_write_tokens <>
		(SELECT COALESCE(SUM(e.input_tokens + e.output_tokens + e.cache_write_tokens), 0) FROM usage_events e WHERE e.user_id = d.user_id AND e.day = d.day)`).Scan(&dayMismatch); err != nil {
		return nil, err
	}
	if dayMismatch != 0 {
		p4 = append(p4, fmt.Sprintf("%d user-days whose totals differ from their ledger rows", dayMismatch))
	}
	add("ledger equals the sum of the replies' usage", p4, fmt.Sprintf("%d tokens (input+output) in the ledger, equal per reply and per user-day; no reservation left", ledgerTokens))

	// 5. No quota overshoot beyond one reply.
	var p5 []string
	rows, err = d.R.QueryContext(ctx, `SELECT d.user_id, d.input_tokens + d.output_tokens + d.cache_write_tokens,
		(SELECT COALESCE(MAX(m.input_tokens + m.output_tokens + m.cache_write_tokens), 0) FROM messages m WHERE m.user_id = d.user_id AND m.role <> 'user')
		FROM usage_daily d`)
	if err != nil {
		return nil, err
	}
	atLimit, maxOver := 0, int64(0)
	for rows.Next() {
		var uid string
		var used, biggest int64
		if err := rows.Scan(&uid, &used, &biggest); err != nil {
			rows.Close()
			return nil, err
		}
		if used >= tokensLimit {
			atLimit++
			maxOver = max(maxOver, used-tokensLimit)
		}
		if used > tokensLimit+biggest {
			p5 = append(p5, fmt.Sprintf("user %s used %d tokens, limit %d + largest reply %d", uid, used, tokensLimit, biggest))
		}
	}
	rows.Close()
	add("no quota overshoot beyond one reply", p5, fmt.Sprintf("%d users reached the %d-token limit, the largest overshoot %d tokens (within their largest reply)", atLimit, tokensLimit, maxOver))

	// 6. No conversation left locked.
	var locked int64
	if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE active_reply_id IS NOT NULL`).Scan(&locked); err != nil {
		return nil, err
	}
	var p6 []string
	if locked != 0 || streaming != 0 {
		p6 = append(p6, fmt.Sprintf("%d conversations hold an active reply, %d replies streaming", locked, streaming))
	}
	add("no conversation left locked", p6, "no active reply, no reply streaming")
	return out, nil
}

// norm compares texts without regard to how whitespace was split between events.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func clipText(s string) string {
	if len(s) > 60 {
		return s[:30] + "…" + s[len(s)-30:]
	}
	return s
}
