// Package schedule parses and validates task schedules (SPEC §15) and computes their fire
// times in the user's IANA timezone, DST-correctly: a wall time that does not exist (spring
// forward) fires at the first valid instant after it, one that occurs twice (fall back)
// fires once, at its first occurrence.
package schedule

import (
	"time"
	_ "time/tzdata" // zones resolve on hosts without a zoneinfo database

	"myally.app/ally/internal/errs"
)

// Schedule is a task's schedule (SPEC §15).
type Schedule struct {
	Kind    string `json:"kind"`              // once|daily|weekdays|weekly|monthly|cron
	At      string `json:"at,omitempty"`      // once: local wall time "2006-01-02T15:04"
	Time    string `json:"time,omitempty"`    // daily/weekdays/weekly/monthly: "15:04"
	Weekday *int   `json:"weekday,omitempty"` // weekly: 0=Sunday..6
	Day     int    `json:"day,omitempty"`     // monthly: 1..31 (short months: last day)
	Cron    string `json:"cron,omitempty"`    // cron: 5 fields
}

// The schedule kinds.
const (
	KindOnce     = "once"
	KindDaily    = "daily"
	KindWeekdays = "weekdays"
	KindWeekly   = "weekly"
	KindMonthly  = "monthly"
	KindCron     = "cron"
)

// horizonDays bounds the search for the next fire: nothing within about 5 years is none.
const horizonDays = 5*366 + 1

// rule is a compiled schedule: the local calendar dates it fires on and, on each such
// date, the wall times (minutes of the day, ascending); or a single wall time for once.
type rule struct {
	once    bool
	at      time.Time // once: the wall time, its fields read in UTC
	day     func(y int, mo time.Month, d int, wd time.Weekday) bool
	minutes []int
}

// next returns the first fire strictly after `after`. It walks local calendar dates, not
// instants, so whole non-matching days cost one check, and starts on the date of `after`
// at its wall time: resolving wall times to instants is monotonic, so an earlier wall time
// that day cannot fire after `after`.
func (r *rule) next(after time.Time, loc *time.Location) (time.Time, bool) {
	if r.once {
		t := resolveWall(r.at.Year(), r.at.Month(), r.at.Day(), r.at.Hour(), r.at.Minute(), loc)
		return t, t.After(after)
	}
	la := after.In(loc)
	y, mo, d := la.Date()
	from := la.Hour()*60 + la.Minute()
	date := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	for i := 0; i < horizonDays; i, date = i+1, date.AddDate(0, 0, 1) {
		y, mo, d := date.Date()
		if !r.day(y, mo, d, date.Weekday()) {
			continue
		}
		for _, m := range r.minutes {
			if i == 0 && m < from {
				continue
			}
			// Several wall times in one gap resolve to the same instant; "strictly after"
			// keeps the fires strictly increasing, so that instant fires once.
			if t := resolveWall(y, mo, d, m/60, m%60, loc); t.After(after) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// Next returns the first fire time strictly after `after`, in UTC, or ok=false when there
// is none (a once already past, an invalid schedule, or nothing within 5 years).
func (s Schedule) Next(after time.Time, loc *time.Location) (t time.Time, ok bool) {
	r, err := s.compile()
	if err != nil {
		return time.Time{}, false
	}
	return r.next(after, zoneOrUTC(loc))
}

// Upcoming returns up to n fire times after `after` (for POST /api/v1/tasks/preview).
func (s Schedule) Upcoming(after time.Time, loc *time.Location, n int) []time.Time {
	r, err := s.compile()
	if err != nil || n <= 0 {
		return nil
	}
	loc = zoneOrUTC(loc)
	var out []time.Time
	for len(out) < n {
		t, ok := r.next(after, loc)
		if !ok {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

// The window MinInterval looks at.
const (
	minIntervalWindow = 400 * 24 * time.Hour
	minIntervalFires  = 2000
)

// MinInterval returns the shortest gap between two consecutive fire times, for the plan's
// min_task_interval. It measures the interval the user asked for, on the wall clock: the
// fires are computed as if the zone had no DST (a daily task is 24 hours apart even across
// the 23-hour day of a spring-forward), so a plan's "at most daily" never refuses a daily
// task. Method: it takes the fires in the 400 days after `after` (placed on the user's
// calendar by loc), at most 2000 of them, and returns the smallest difference between
// neighbours; the window spans every weekday and month length, the count cap keeps
// frequent crons fast, and their smallest gap shows on the first day, as hours and minutes
// repeat daily. A schedule that fires at most once returns 0.
func (s Schedule) MinInterval(after time.Time, loc *time.Location) time.Duration {
	r, err := s.compile()
	if err != nil || r.once {
		return 0
	}
	w := after.In(zoneOrUTC(loc))
	after = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
	end := after.Add(minIntervalWindow)
	var min time.Duration
	prev, ok := r.next(after, time.UTC)
	for i := 0; ok && i < minIntervalFires; i++ {
		t, more := r.next(prev, time.UTC)
		if !more || t.After(end) {
			break
		}
		if gap := t.Sub(prev); min == 0 || gap < min {
			min = gap
		}
		prev = t
	}
	return min
}

// Recurring reports whether the schedule fires more than once.
func (s Schedule) Recurring() bool {
	switch s.Kind {
	case KindDaily, KindWeekdays, KindWeekly, KindMonthly, KindCron:
		return true
	}
	return false
}

// LoadZone returns the IANA timezone called name. It refuses an empty or unknown name, and
// "Local", which would be the server's zone rather than the user's.
func LoadZone(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, errs.InvalidField("timezone", "timezone is required (an IANA name such as Europe/London)")
	case "Local":
		return nil, errs.InvalidField("timezone", "timezone must be an IANA name such as Europe/London, not Local")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errs.InvalidField("timezone", "timezone is not a known IANA name (such as Europe/London)")
	}
	return loc, nil
}

func zoneOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
