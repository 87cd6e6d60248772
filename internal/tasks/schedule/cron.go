package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// starBit is robfig/cron's marker for a field written as "*" (or "*/n", "?"), which the
// standard day-of-month/day-of-week rule depends on.
const starBit = 1 << 63

// cronParser reads the standard 5 fields and the @daily-style descriptors. robfig/cron
// only parses here: its own Next skips a wall time that does not exist and fires a repeated
// one twice, so Ally computes fire times itself (see rule.next).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseCron parses a 5-field cron expression into the days and minutes it fires on. The
// message of the error is safe to show to the user.
func parseCron(expr string) (*rule, error) {
	expr = strings.TrimSpace(expr)
	switch {
	case expr == "":
		return nil, fmt.Errorf("is required (5 fields: minute hour day-of-month month day-of-week)")
	case strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ="):
		return nil, fmt.Errorf("must not set a timezone (the task's timezone applies)")
	case strings.HasPrefix(expr, "@every"):
		return nil, fmt.Errorf("@every is not supported; use 5 fields (minute hour day-of-month month day-of-week)")
	case !strings.HasPrefix(expr, "@"):
		if n := len(strings.Fields(expr)); n != 5 {
			return nil, fmt.Errorf("must have 5 fields (minute hour day-of-month month day-of-week), not %d", n)
		}
	}
	parsed, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("is not a valid cron expression: %s", err.Error())
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("is not a valid cron expression")
	}
	r := &rule{day: cronDay(spec)}
	for h := 0; h < 24; h++ {
		if spec.Hour&(1<<uint(h)) == 0 {
			continue
		}
		for m := 0; m < 60; m++ {
			if spec.Minute&(1<<uint(m)) != 0 {
				r.minutes = append(r.minutes, h*60+m)
			}
		}
	}
	return r, nil
}

// cronDay matches a calendar date against the month, day-of-month and day-of-week fields.
// As in standard cron, when both day fields are restricted a date matching either fires.
func cronDay(s *cron.SpecSchedule) func(y int, mo time.Month, d int, wd time.Weekday) bool {
	either := s.Dom&starBit == 0 && s.Dow&starBit == 0
	return func(_ int, mo time.Month, d int, wd time.Weekday) bool {
		if s.Month&(1<<uint(mo)) == 0 {
			return false
		}
		dom := s.Dom&(1<<uint(d)) != 0
		dow := s.Dow&(1<<uint(wd)) != 0
		if either {
			return dom || dow
		}
		return dom && dow
	}
}
