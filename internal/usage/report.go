package usage

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Sum is usage summed over some time: the model calls' totals, their cost in dollars and
// the messages the user sent.
type Sum struct {
	Totals
	CostUSD  float64 `json:"cost_usd"`
	Messages int64   `json:"messages"`
}

// DayUsage is one local day of a user's usage.
type DayUsage struct {
	Date string `json:"date"`
	Sum
}

// ConversationUsage is a conversation's usage within a report's range.
type ConversationUsage struct {
	ConversationID string `json:"conversation_id"`
	// Title is nil when the conversation has been deleted since.
	Title *string `json:"title"`
	Totals
	CostUSD    float64   `json:"cost_usd"`
	LastCallAt time.Time `json:"last_call_at"`
}

// Allowance is how much of one daily limit is used; Limit and Remaining are nil when the
// plan does not limit it.
type Allowance struct {
	Used      int64  `json:"used"`
	Limit     *int64 `json:"limit"`
	Remaining *int64 `json:"remaining"`
}

func allowance(used, limit int64) Allowance {
	a := Allowance{Used: used}
	if limit != Unlimited {
		rem := max(0, limit-used)
		a.Limit, a.Remaining = &limit, &rem
	}
	return a
}

// Today is the state of the user's daily limits.
type Today struct {
	Date          string    `json:"date"`
	ResetAt       time.Time `json:"reset_at"`
	Messages      Allowance `json:"messages"`
	Tokens        Allowance `json:"tokens"`
	FallbackCalls Allowance `json:"fallback_calls"`
}

// Report is what Settings > Usage shows: the daily series of a date range (every day,
// zeros included, so it charts directly), the range's totals, its conversations by cost,
// and today's limits.
type Report struct {
	Timezone      string              `json:"timezone"`
	From          string              `json:"from"`
	To            string              `json:"to"`
	Days          []DayUsage          `json:"days"`
	Totals        Sum                 `json:"totals"`
	Conversations []ConversationUsage `json:"conversations"`
	// Background is usage Ally incurred on its own for the user (the nightly review),
	// per purpose: not part of the days' totals nor of the quota.
	Background []BackgroundUsage `json:"background"`
	Plan       Plan              `json:"plan"`
	Today      Today             `json:"today"`
}

// MaxReportDays is the longest range a report covers.
const MaxReportDays = 366

// maxReportConversations caps the conversations listed in a report.
const maxReportConversations = 100

// Report builds the usage report of the user for the local dates from..to
// (YYYY-MM-DD, inclusive); empty dates default to the last 30 days.
func (s *Service) Report(ctx context.Context, userID, from, to string) (Report, error) {
	loc, err := s.Location(ctx, userID)
	if err != nil {
		return Report{}, err
	}
	plan, err := s.PlanFor(ctx, userID)
	if err != nil {
		return Report{}, err
	}
	now := s.now()
	first, last, err := dateRange(from, to, Day(now, loc))
	if err != nil {
		return Report{}, err
	}
	rep := Report{Timezone: loc.String(), From: first.Format(time.DateOnly), To: last.Format(time.DateOnly), Plan: plan}
	stored, err := s.days(ctx, userID, rep.From, rep.To)
	if err != nil {
		return Report{}, err
	}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		day := stored[d.Format(time.DateOnly)].DayUsage
		day.Date = d.Format(time.DateOnly)
		rep.Days = append(rep.Days, day)
		rep.Totals.Totals = rep.Totals.add(day.Totals)
		rep.Totals.Messages += day.Messages
	}
	rep.Totals.CostUSD = rep.Totals.Totals.CostUSD()
	if rep.Conversations, err = s.conversations(ctx, userID, rep.From, rep.To); err != nil {
		return Report{}, err
	}
	if rep.Background, err = s.background(ctx, userID, rep.From, rep.To); err != nil {
		return Report{}, err
	}
	today, err := s.days(ctx, userID, Day(now, loc), Day(now, loc))
	if err != nil {
		return Report{}, err
	}
	t := today[Day(now, loc)]
	rep.Today = Today{
		Date:          Day(now, loc),
		ResetAt:       nextMidnight(now, loc),
		Messages:      allowance(t.Messages, plan.Limits.MessagesPerDay),
		Tokens:        allowance(t.LimitedTokens(), plan.Limits.TokensPerDay),
		FallbackCalls: allowance(t.fallback, plan.Limits.FallbackPerDay),
	}
	return rep, nil
}

func (t Totals) add(u Totals) Totals {
	return Totals{
		Calls: t.Calls + u.Calls, InputTokens: t.InputTokens + u.InputTokens, OutputTokens: t.OutputTokens + u.OutputTokens,
		CacheReadTokens: t.CacheReadTokens + u.CacheReadTokens, CacheWriteTokens: t.CacheWriteTokens + u.CacheWriteTokens,
		CostMicros: t.CostMicros + u.CostMicros,
	}
}

// dateRange validates the requested local dates, defaulting to the 30 days up to today.
func dateRange(from, to, today string) (time.Time, time.Time, error) {
	parse := func(field, v, def string) (time.Time, error) {
		if v == "" {
			v = def
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, errs.InvalidField(field, "%s must be a date as YYYY-MM-DD", field)
		}
		return d, nil
	}
	last, err := parse("to", to, today)
	if err != nil {
		return last, last, err
	}
	first, err := parse("from", from, last.AddDate(0, 0, -29).Format(time.DateOnly))
	if err != nil {
		return first, first, err
	}
	if first.After(last) {
		return first, last, errs.InvalidField("from", "from must not be after to")
	}
	if last.Sub(first) >= MaxReportDays*24*time.Hour {
		return first, last, errs.InvalidField("from", "a report covers at most %d days", MaxReportDays)
	}
	return first, last, nil
}

// days reads the stored daily aggregates from..to, by date.
func (s *Service) days(ctx context.Context, userID, from, to string) (map[string]dayWithFallback, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT day, messages, model_calls, fallback_calls, input_tokens, output_tokens,
		cache_read_tokens, cache_write_tokens, cost_micros FROM usage_daily WHERE user_id = $1 AND day >= $2 AND day <= $3`,
		userID, from, to)
	if err != nil {
		return nil, fmt.Errorf("usage: daily totals: %w", err)
	}
	defer rows.Close()
	out := map[string]dayWithFallback{}
	for rows.Next() {
		var d dayWithFallback
		if err := rows.Scan(&d.Date, &d.Messages, &d.Calls, &d.fallback, &d.InputTokens, &d.OutputTokens,
			&d.CacheReadTokens, &d.CacheWriteTokens, &d.CostMicros); err != nil {
			return nil, fmt.Errorf("usage: daily totals: %w", err)
		}
		d.CostUSD = d.Totals.CostUSD()
		out[d.Date] = d
	}
	return out, rows.Err()
}

// dayWithFallback is a day with its count of fallback calls (shown in Today only).
type dayWithFallback struct {
	DayUsage
	fallback int64
}

// conversations sums the ledger by conversation over the dates, most costly first. Titles
// come from the conversations table; a deleted conversation has none.
func (s *Service) conversations(ctx context.Context, userID, from, to string) ([]ConversationUsage, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT e.conversation_id, c.title, COUNT(*),
			CAST(SUM(e.input_tokens) AS BIGINT), CAST(SUM(e.output_tokens) AS BIGINT),
			CAST(SUM(e.cache_read_tokens) AS BIGINT), CAST(SUM(e.cache_write_tokens) AS BIGINT),
			CAST(SUM(e.cost_micros) AS BIGINT), MAX(e.created_at)
		FROM usage_events e
		LEFT JOIN conversations c ON c.id = e.conversation_id AND c.user_id = e.user_id
		WHERE e.user_id = $1 AND e.day >= $2 AND e.day <= $3 AND e.conversation_id <> ''
		GROUP BY e.conversation_id, c.title
		ORDER BY 8 DESC, 9 DESC
		LIMIT $4`, userID, from, to, maxReportConversations)
	if err != nil {
		return nil, fmt.Errorf("usage: conversation totals: %w", err)
	}
	defer rows.Close()
	out := []ConversationUsage{}
	for rows.Next() {
		var c ConversationUsage
		var last int64
		if err := rows.Scan(&c.ConversationID, &c.Title, &c.Calls, &c.InputTokens, &c.OutputTokens,
			&c.CacheReadTokens, &c.CacheWriteTokens, &c.CostMicros, &last); err != nil {
			return nil, fmt.Errorf("usage: conversation totals: %w", err)
		}
		c.CostUSD = c.Totals.CostUSD()
		c.LastCallAt = db.Time(last)
		out = append(out, c)
	}
	return out, rows.Err()
}
