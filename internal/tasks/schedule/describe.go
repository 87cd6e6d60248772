package schedule

import (
	"fmt"
	"time"
)

// Describe returns a short English description of the schedule for emails and the UI,
// such as "Every weekday at 08:00", "At 02:30 on 14 March 2027" or "Cron 0 8 * * 1-5".
func (s Schedule) Describe() string {
	switch s.Kind {
	case KindOnce:
		at, err := parseStrict(atLayout, s.At)
		if err != nil {
			return "Once"
		}
		return "At " + at.Format("15:04 on 2 January 2006")
	case KindDaily:
		return "Every day at " + s.Time
	case KindWeekdays:
		return "Every weekday at " + s.Time
	case KindWeekly:
		if s.Weekday == nil || *s.Weekday < 0 || *s.Weekday > 6 {
			return "Every week at " + s.Time
		}
		return fmt.Sprintf("Every %s at %s", time.Weekday(*s.Weekday), s.Time)
	case KindMonthly:
		if s.Day > 28 {
			return fmt.Sprintf("Every month on the %s (or its last day) at %s", ordinal(s.Day), s.Time)
		}
		return fmt.Sprintf("Every month on the %s at %s", ordinal(s.Day), s.Time)
	case KindCron:
		return "Cron " + s.Cron
	}
	return "Unknown schedule"
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
