package schedule_test

import (
	"errors"
	"testing"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/tasks/schedule"
)

var fuzzZones = []string{"UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham",
	"Asia/Kolkata", "America/Santiago", "Africa/Casablanca"}

// FuzzSchedule checks every schedule a client can send: Validate never panics and refuses
// only with invalid_request naming a schedule field; a schedule it accepts fires after
// now, its upcoming times strictly increase, each is the Next of the one before, each
// lies on a whole minute, and its minimum interval is not negative.
func FuzzSchedule(f *testing.F) {
	seeds := []struct {
		kind, at, tm, cron string
		weekday, day       int
	}{
		{"once", "2027-03-14T02:30", "", "", -1, 0},
		{"daily", "", "08:00", "", -1, 0},
		{"weekdays", "", "23:59", "", -1, 0},
		{"weekly", "", "02:30", "", 0, 0},
		{"monthly", "", "08:00", "", -1, 31},
		{"cron", "", "", "0 8 * * 1-5", -1, 0},
		{"cron", "", "", "*/7 1-3 29-31 2 *", -1, 0},
		{"cron", "", "", "0 0 30 2 *", -1, 0},
		{"cron", "", "", "@hourly", -1, 0},
		{"cron", "", "", "0 0 L * *", -1, 0},
		{"monthly", "", "24:00", "", -1, 0},
		{"weekly", "", "8:00", "", 7, 0},
	}
	for i, s := range seeds {
		f.Add(s.kind, s.at, s.tm, s.cron, s.weekday, s.day, uint8(i), int64(1_790_000_000+i*86_399))
	}
	f.Fuzz(func(t *testing.T, kind, at, tm, cron string, weekday, day int, zone uint8, now int64) {
		loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			t.Fatal(err)
		}
		s := schedule.Schedule{Kind: kind, At: at, Time: tm, Day: day, Cron: cron}
		if weekday >= -1 {
			if weekday >= 0 {
				s.Weekday = &weekday
			}
		}
		after := time.Unix(now%4_000_000_000, 0).UTC()
		if err := s.Validate(after, loc); err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || len(e.Field) < len("schedule.") || e.Field[:9] != "schedule." {
				t.Fatalf("refusal %v is not an invalid_request naming a schedule field", err)
			}
			return
		}
		up := s.Upcoming(after, loc, 5)
		if len(up) == 0 {
			t.Fatalf("an accepted schedule %+v never fires after %v", s, after)
		}
		prev := after
		for _, u := range up {
			if !u.After(prev) {
				t.Fatalf("%+v: %v does not come after %v", s, u, prev)
			}
			if next, ok := s.Next(prev, loc); !ok || !next.Equal(u) {
				t.Fatalf("%+v: Next(%v) = %v, Upcoming says %v", s, prev, next, u)
			}
			if u.Second() != 0 || u.Nanosecond() != 0 {
				t.Fatalf("%+v: fire %v is not on a whole minute", s, u)
			}
			prev = u
		}
		if s.MinInterval(after, loc) < 0 {
			t.Fatalf("%+v: negative minimum interval", s)
		}
	})
}
