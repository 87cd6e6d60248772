package schedule

import (
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/errs"
)

func TestValidate(t *testing.T) {
	now := utc("2027-03-01T12:00:00Z")
	cases := []struct {
		name      string
		s         Schedule
		field     string // "" when valid
		mentioned string // a word the message must contain
	}{
		{"once", Schedule{Kind: "once", At: "2027-03-14T02:30"}, "", ""},
		{"daily", Schedule{Kind: "daily", Time: "08:00"}, "", ""},
		{"weekdays", Schedule{Kind: "weekdays", Time: "23:59"}, "", ""},
		{"weekly Sunday", Schedule{Kind: "weekly", Weekday: intp(0), Time: "00:00"}, "", ""},
		{"monthly 31", Schedule{Kind: "monthly", Day: 31, Time: "08:00"}, "", ""},
		{"cron", Schedule{Kind: "cron", Cron: "0 8 * * 1-5"}, "", ""},
		{"cron names", Schedule{Kind: "cron", Cron: "0 8 * jan mon-fri"}, "", ""},
		{"cron descriptor", Schedule{Kind: "cron", Cron: "@weekly"}, "", ""},

		{"missing kind", Schedule{Time: "08:00"}, "schedule.kind", "required"},
		{"unknown kind", Schedule{Kind: "hourly", Time: "08:00"}, "schedule.kind", "once"},
		{"time 25:00", Schedule{Kind: "daily", Time: "25:00"}, "schedule.time", "08:00"},
		{"time without leading zero", Schedule{Kind: "daily", Time: "8:00"}, "schedule.time", "08:00"},
		{"time with seconds", Schedule{Kind: "daily", Time: "08:00:00"}, "schedule.time", "08:00"},
		{"time missing", Schedule{Kind: "weekdays"}, "schedule.time", "08:00"},
		{"weekday 7", Schedule{Kind: "weekly", Weekday: intp(7), Time: "08:00"}, "schedule.weekday", "Saturday"},
		{"weekday -1", Schedule{Kind: "weekly", Weekday: intp(-1), Time: "08:00"}, "schedule.weekday", "Sunday"},
		{"weekday missing", Schedule{Kind: "weekly", Time: "08:00"}, "schedule.weekday", "required"},
		{"day 0", Schedule{Kind: "monthly", Day: 0, Time: "08:00"}, "schedule.day", "1 to 31"},
		{"day 32", Schedule{Kind: "monthly", Day: 32, Time: "08:00"}, "schedule.day", "1 to 31"},
		{"bad cron", Schedule{Kind: "cron", Cron: "61 * * * *"}, "schedule.cron", "not a valid"},
		{"cron of words", Schedule{Kind: "cron", Cron: "every day at 8"}, "schedule.cron", "5 fields"},
		{"6-field cron (seconds)", Schedule{Kind: "cron", Cron: "0 0 8 * * *"}, "schedule.cron", "not 6"},
		{"CRON_TZ prefix", Schedule{Kind: "cron", Cron: "CRON_TZ=Europe/London 0 8 * * *"}, "schedule.cron", "timezone"},
		{"TZ prefix", Schedule{Kind: "cron", Cron: "TZ=UTC 0 8 * * *"}, "schedule.cron", "timezone"},
		{"@every", Schedule{Kind: "cron", Cron: "@every 1h"}, "schedule.cron", "@every"},
		{"empty cron", Schedule{Kind: "cron"}, "schedule.cron", "required"},
		{"cron never fires", Schedule{Kind: "cron", Cron: "0 8 30 2 *"}, "schedule.cron", "never"},
		{"once in the past", Schedule{Kind: "once", At: "2027-03-01T06:59"}, "schedule.at", "past"},
		{"once now", Schedule{Kind: "once", At: "2027-03-01T07:00"}, "schedule.at", "past"},
		{"once malformed", Schedule{Kind: "once", At: "2027-03-14 02:30"}, "schedule.at", "2027-03-14T08:00"},
		{"once with a zone", Schedule{Kind: "once", At: "2027-03-14T02:30Z"}, "schedule.at", "local"},
		{"once with time", Schedule{Kind: "once", At: "2027-03-14T02:30", Time: "08:00"}, "schedule.time", "once"},
		{"daily with cron", Schedule{Kind: "daily", Time: "08:00", Cron: "* * * * *"}, "schedule.cron", "daily"},
		{"daily with weekday", Schedule{Kind: "daily", Time: "08:00", Weekday: intp(1)}, "schedule.weekday", "daily"},
		{"weekly with day", Schedule{Kind: "weekly", Weekday: intp(1), Time: "08:00", Day: 3}, "schedule.day", "weekly"},
		{"monthly with at", Schedule{Kind: "monthly", Day: 3, Time: "08:00", At: "2027-03-14T02:30"}, "schedule.at", "monthly"},
		{"cron with time", Schedule{Kind: "cron", Cron: "0 8 * * *", Time: "08:00"}, "schedule.time", "cron"},
	}
	loc := zone(t, "America/New_York") // now is 07:00 local
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.s.Validate(now, loc)
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field != c.field {
				t.Fatalf("Validate = %v, want invalid_request on %s", err, c.field)
			}
			if !strings.Contains(e.Message, c.mentioned) {
				t.Errorf("message %q does not mention %q", e.Message, c.mentioned)
			}
		})
	}
}

func TestLoadZone(t *testing.T) {
	for _, name := range []string{"America/New_York", "Australia/Lord_Howe", "UTC"} {
		if _, err := LoadZone(name); err != nil {
			t.Errorf("LoadZone(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "Local", "Mars/Olympus", "../etc/passwd", "europe/london"} {
		_, err := LoadZone(name)
		if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Field != "timezone" {
			t.Errorf("LoadZone(%q) = %v, want invalid_request on timezone", name, err)
		}
	}
}

func TestMinInterval(t *testing.T) {
	after := utc("2027-01-01T00:00:00Z")
	cases := []struct {
		name string
		s    Schedule
		zone string
		want time.Duration
	}{
		{"cron every 5 minutes", Schedule{Kind: "cron", Cron: "*/5 * * * *"}, "UTC", 5 * time.Minute},
		{"cron every minute", Schedule{Kind: "cron", Cron: "* * * * *"}, "America/New_York", time.Minute},
		{"cron twice an hour, unevenly", Schedule{Kind: "cron", Cron: "0,10 * * * *"}, "UTC", 10 * time.Minute},
		{"weekdays", Schedule{Kind: "weekdays", Time: "08:00"}, "UTC", 24 * time.Hour},
		{"weekdays in New York", Schedule{Kind: "weekdays", Time: "08:00"}, "America/New_York", 24 * time.Hour},
		// Measured on the wall clock: the 23-hour spring-forward day does not make a daily
		// task more frequent than daily.
		{"daily in New York", Schedule{Kind: "daily", Time: "08:00"}, "America/New_York", 24 * time.Hour},
		{"daily in London", Schedule{Kind: "daily", Time: "01:30"}, "Europe/London", 24 * time.Hour},
		{"daily in Kolkata", Schedule{Kind: "daily", Time: "08:00"}, "Asia/Kolkata", 24 * time.Hour},
		{"weekly", Schedule{Kind: "weekly", Weekday: intp(1), Time: "08:00"}, "UTC", 7 * 24 * time.Hour},
		{"monthly 31: Feb 28 to Mar 31", Schedule{Kind: "monthly", Day: 31, Time: "08:00"}, "UTC", 28 * 24 * time.Hour},
		{"once", Schedule{Kind: "once", At: "2027-03-14T02:30"}, "UTC", 0},
		{"invalid", Schedule{Kind: "cron", Cron: "bad"}, "UTC", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.MinInterval(after, zone(t, c.zone)); got != c.want {
				t.Errorf("MinInterval = %v, want %v", got, c.want)
			}
		})
	}
}

func TestRecurringAndDescribe(t *testing.T) {
	cases := []struct {
		s         Schedule
		recurring bool
		want      string
	}{
		{Schedule{Kind: "once", At: "2027-03-14T02:30"}, false, "At 02:30 on 14 March 2027"},
		{Schedule{Kind: "daily", Time: "08:00"}, true, "Every day at 08:00"},
		{Schedule{Kind: "weekdays", Time: "08:00"}, true, "Every weekday at 08:00"},
		{Schedule{Kind: "weekly", Weekday: intp(0), Time: "09:30"}, true, "Every Sunday at 09:30"},
		{Schedule{Kind: "monthly", Day: 2, Time: "08:00"}, true, "Every month on the 2nd at 08:00"},
		{Schedule{Kind: "monthly", Day: 31, Time: "08:00"}, true, "Every month on the 31st (or its last day) at 08:00"},
		{Schedule{Kind: "cron", Cron: "0 8 * * 1-5"}, true, "Cron 0 8 * * 1-5"},
		{Schedule{Kind: "hourly"}, false, "Unknown schedule"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if got := c.s.Describe(); got != c.want {
				t.Errorf("Describe = %q, want %q", got, c.want)
			}
			if got := c.s.Recurring(); got != c.recurring {
				t.Errorf("Recurring = %v, want %v", got, c.recurring)
			}
		})
	}
}

func TestOrdinal(t *testing.T) {
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 23: "23rd", 31: "31st"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

// BenchmarkNext times one Next call, the hot path of the scheduler and of the preview.
func BenchmarkNext(b *testing.B) {
	loc := zone(b, "America/New_York")
	after := utc("2027-03-13T12:00:00Z")
	for _, s := range []Schedule{
		{Kind: "cron", Cron: "0 8 * * 1-5"},
		{Kind: "cron", Cron: "*/5 * * * *"},
		{Kind: "cron", Cron: "0 8 29 2 *"},
		{Kind: "daily", Time: "02:30"},
	} {
		b.Run(s.Describe(), func(b *testing.B) {
			for b.Loop() {
				if _, ok := s.Next(after, loc); !ok {
					b.Fatal("no fire")
				}
			}
		})
	}
	b.Run("MinInterval cron every minute", func(b *testing.B) {
		s := Schedule{Kind: "cron", Cron: "* * * * *"}
		for b.Loop() {
			s.MinInterval(after, loc)
		}
	})
}
