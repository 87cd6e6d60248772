package schedule

import (
	"fmt"
	"time"

	"myally.app/ally/internal/errs"
)

// Layouts of the wall times in a schedule.
const (
	atLayout   = "2006-01-02T15:04"
	timeLayout = "15:04"
)

// Validate refuses a malformed schedule with an invalid_request error naming the field
// ("schedule.<field>"). Fields that do not belong to the kind are refused too, a once that
// is not after now (in loc) is refused, and so is a schedule that never fires.
func (s Schedule) Validate(now time.Time, loc *time.Location) error {
	loc = zoneOrUTC(loc)
	if err := s.checkFields(); err != nil {
		return err
	}
	r, err := s.compile()
	if err != nil {
		return err
	}
	if _, ok := r.next(now, loc); !ok {
		if r.once {
			return errs.InvalidField("schedule.at", "schedule.at is in the past")
		}
		return errs.InvalidField("schedule."+s.mainField(), "the schedule never fires within 5 years")
	}
	return nil
}

// checkFields refuses fields that do not belong to the kind.
func (s Schedule) checkFields() error {
	allowed := map[string]bool{}
	switch s.Kind {
	case KindOnce:
		allowed["at"] = true
	case KindDaily, KindWeekdays:
		allowed["time"] = true
	case KindWeekly:
		allowed["time"], allowed["weekday"] = true, true
	case KindMonthly:
		allowed["time"], allowed["day"] = true, true
	case KindCron:
		allowed["cron"] = true
	case "":
		return errs.InvalidField("schedule.kind", "schedule.kind is required (once, daily, weekdays, weekly, monthly or cron)")
	default:
		return errs.InvalidField("schedule.kind", "schedule.kind must be once, daily, weekdays, weekly, monthly or cron")
	}
	present := map[string]bool{
		"at": s.At != "", "time": s.Time != "", "weekday": s.Weekday != nil,
		"day": s.Day != 0, "cron": s.Cron != "",
	}
	for _, f := range []string{"at", "time", "weekday", "day", "cron"} {
		if present[f] && !allowed[f] {
			return errs.InvalidField("schedule."+f, "schedule.%s does not apply to a %s schedule", f, s.Kind)
		}
	}
	return nil
}

// compile checks the kind's own fields and builds the rule that computes fire times.
func (s Schedule) compile() (*rule, error) {
	if s.Kind == KindOnce {
		at, err := parseStrict(atLayout, s.At)
		if err != nil {
			return nil, errs.InvalidField("schedule.at", "schedule.at must be a local date and time like 2027-03-14T08:00")
		}
		return &rule{once: true, at: at}, nil
	}
	if s.Kind == KindCron {
		r, err := parseCron(s.Cron)
		if err != nil {
			return nil, errs.InvalidField("schedule.cron", "schedule.cron %s", err.Error())
		}
		return r, nil
	}
	var day func(y int, mo time.Month, d int, wd time.Weekday) bool
	switch s.Kind {
	case KindDaily:
		day = func(int, time.Month, int, time.Weekday) bool { return true }
	case KindWeekdays:
		day = func(_ int, _ time.Month, _ int, wd time.Weekday) bool {
			return wd != time.Saturday && wd != time.Sunday
		}
	case KindWeekly:
		if s.Weekday == nil {
			return nil, errs.InvalidField("schedule.weekday", "schedule.weekday is required (0=Sunday to 6=Saturday)")
		}
		want := time.Weekday(*s.Weekday)
		if *s.Weekday < 0 || *s.Weekday > 6 {
			return nil, errs.InvalidField("schedule.weekday", "schedule.weekday must be 0 (Sunday) to 6 (Saturday)")
		}
		day = func(_ int, _ time.Month, _ int, wd time.Weekday) bool { return wd == want }
	case KindMonthly:
		if s.Day < 1 || s.Day > 31 {
			return nil, errs.InvalidField("schedule.day", "schedule.day must be 1 to 31 (shorter months use their last day)")
		}
		want := s.Day
		day = func(y int, mo time.Month, d int, _ time.Weekday) bool {
			return d == min(want, daysIn(y, mo))
		}
	default:
		return nil, errs.InvalidField("schedule.kind", "schedule.kind must be once, daily, weekdays, weekly, monthly or cron")
	}
	clock, err := parseStrict(timeLayout, s.Time)
	if err != nil {
		return nil, errs.InvalidField("schedule.time", "schedule.time must be a local time like 08:00 (00:00 to 23:59)")
	}
	return &rule{day: day, minutes: []int{clock.Hour()*60 + clock.Minute()}}, nil
}

// mainField names the field to blame when a valid-looking schedule never fires.
func (s Schedule) mainField() string {
	if s.Kind == KindCron {
		return "cron"
	}
	return "kind"
}

// parseStrict parses v with layout and refuses any other spelling ("8:00", "08:00:00").
func parseStrict(layout, v string) (time.Time, error) {
	t, err := time.Parse(layout, v)
	if err != nil {
		return time.Time{}, err
	}
	if t.Format(layout) != v {
		return time.Time{}, fmt.Errorf("not in the form %s", layout)
	}
	return t, nil
}

func daysIn(y int, mo time.Month) int {
	return time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
