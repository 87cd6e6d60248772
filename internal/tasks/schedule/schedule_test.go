package schedule

import (
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone(name)
	if err != nil {
		t.Fatalf("LoadZone(%q): %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func intp(i int) *int { return &i }

// TestUpcoming pins fire times across DST transitions, month lengths and weekdays. Each
// case lists the first fires strictly after `after`, in UTC.
func TestUpcoming(t *testing.T) {
	cases := []struct {
		name  string
		zone  string
		s     Schedule
		after string
		want  []string
	}{
		{"NY spring forward: daily 02:30 runs at 03:00 EDT that day", "America/New_York",
			Schedule{Kind: "daily", Time: "02:30"}, "2027-03-13T12:00:00Z",
			[]string{"2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z"}},
		{"NY spring forward: once at 02:30 runs at 03:00 EDT", "America/New_York",
			Schedule{Kind: "once", At: "2027-03-14T02:30"}, "2027-03-01T00:00:00Z",
			[]string{"2027-03-14T07:00:00Z"}},
		{"NY fall back: daily 01:30 runs once, at the first occurrence", "America/New_York",
			Schedule{Kind: "daily", Time: "01:30"}, "2027-11-06T12:00:00Z",
			[]string{"2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z"}},
		{"NY fall back: after the first 01:30, the second is not a fire", "America/New_York",
			Schedule{Kind: "daily", Time: "01:30"}, "2027-11-07T05:30:00Z",
			[]string{"2027-11-08T06:30:00Z"}},
		{"NY fall back: cron 30 1 * * * runs once", "America/New_York",
			Schedule{Kind: "cron", Cron: "30 1 * * *"}, "2027-11-06T12:00:00Z",
			[]string{"2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z"}},
		{"NY fall back: cron */30 1 fires 01:00 and 01:30 EDT only", "America/New_York",
			Schedule{Kind: "cron", Cron: "*/30 1 * * *"}, "2027-11-06T12:00:00Z",
			[]string{"2027-11-07T05:00:00Z", "2027-11-07T05:30:00Z", "2027-11-08T06:00:00Z"}},
		{"NY fall back: from inside the repeated hour, next day", "America/New_York",
			Schedule{Kind: "cron", Cron: "*/30 1 * * *"}, "2027-11-07T06:10:00Z",
			[]string{"2027-11-08T06:00:00Z"}},
		{"London spring forward: 01:30 runs at 02:00 BST", "Europe/London",
			Schedule{Kind: "daily", Time: "01:30"}, "2027-03-27T12:00:00Z",
			[]string{"2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z"}},
		{"London fall back: 01:30 runs at the BST occurrence", "Europe/London",
			Schedule{Kind: "daily", Time: "01:30"}, "2027-10-30T12:00:00Z",
			[]string{"2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"}},
		{"Kolkata +05:30, no DST", "Asia/Kolkata",
			Schedule{Kind: "daily", Time: "08:00"}, "2027-03-13T12:00:00Z",
			[]string{"2027-03-14T02:30:00Z", "2027-03-15T02:30:00Z"}},
		{"Lord Howe fall back (30 min): 01:45 at the +11 occurrence", "Australia/Lord_Howe",
			Schedule{Kind: "daily", Time: "01:45"}, "2027-04-03T00:00:00Z",
			[]string{"2027-04-03T14:45:00Z", "2027-04-04T15:15:00Z"}},
		{"Lord Howe spring forward (30 min): 02:15 runs at 02:30 +11", "Australia/Lord_Howe",
			Schedule{Kind: "daily", Time: "02:15"}, "2027-10-02T00:00:00Z",
			[]string{"2027-10-02T15:30:00Z", "2027-10-03T15:15:00Z"}},
		{"monthly day 31: Feb 28th, Mar 31st, Apr 30th", "UTC",
			Schedule{Kind: "monthly", Day: 31, Time: "08:00"}, "2027-02-01T00:00:00Z",
			[]string{"2027-02-28T08:00:00Z", "2027-03-31T08:00:00Z", "2027-04-30T08:00:00Z"}},
		{"monthly day 31: leap February 29th", "UTC",
			Schedule{Kind: "monthly", Day: 31, Time: "08:00"}, "2028-02-01T00:00:00Z",
			[]string{"2028-02-29T08:00:00Z"}},
		{"monthly day 30 in February: 28th", "UTC",
			Schedule{Kind: "monthly", Day: 30, Time: "08:00"}, "2027-01-31T00:00:00Z",
			[]string{"2027-02-28T08:00:00Z", "2027-03-30T08:00:00Z"}},
		{"cron Feb 29 waits for the leap year", "UTC",
			Schedule{Kind: "cron", Cron: "0 8 29 2 *"}, "2027-01-01T00:00:00Z",
			[]string{"2028-02-29T08:00:00Z", "2032-02-29T08:00:00Z"}},
		{"weekly Sunday (0)", "UTC", // 2027-01-01 is a Friday
			Schedule{Kind: "weekly", Weekday: intp(0), Time: "09:00"}, "2027-01-01T00:00:00Z",
			[]string{"2027-01-03T09:00:00Z", "2027-01-10T09:00:00Z"}},
		{"weekly Saturday (6)", "UTC",
			Schedule{Kind: "weekly", Weekday: intp(6), Time: "09:00"}, "2027-01-01T00:00:00Z",
			[]string{"2027-01-02T09:00:00Z", "2027-01-09T09:00:00Z"}},
		{"weekdays skip the weekend", "UTC",
			Schedule{Kind: "weekdays", Time: "08:00"}, "2027-01-01T07:00:00Z",
			[]string{"2027-01-01T08:00:00Z", "2027-01-04T08:00:00Z", "2027-01-05T08:00:00Z"}},
		{"today's time already past: tomorrow", "UTC",
			Schedule{Kind: "daily", Time: "08:00"}, "2027-01-01T08:00:00Z",
			[]string{"2027-01-02T08:00:00Z"}},
		{"cron dom and dow both restricted: either matches", "UTC", // 13th, or any Friday
			Schedule{Kind: "cron", Cron: "0 8 13 * 5"}, "2027-01-01T09:00:00Z",
			[]string{"2027-01-08T08:00:00Z", "2027-01-13T08:00:00Z", "2027-01-15T08:00:00Z"}},
		{"cron dom restricted, dow star: dom only", "UTC",
			Schedule{Kind: "cron", Cron: "0 8 13 * *"}, "2027-01-01T09:00:00Z",
			[]string{"2027-01-13T08:00:00Z", "2027-02-13T08:00:00Z"}},
		{"cron weekdays 1-5", "America/New_York",
			Schedule{Kind: "cron", Cron: "0 8 * * 1-5"}, "2027-01-01T14:00:00Z",
			[]string{"2027-01-04T13:00:00Z", "2027-01-05T13:00:00Z"}},
		{"cron descriptor @daily", "Europe/London",
			Schedule{Kind: "cron", Cron: "@daily"}, "2027-06-01T12:00:00Z",
			[]string{"2027-06-01T23:00:00Z", "2027-06-02T23:00:00Z"}},
		{"cron every minute across a spring-forward gap fires 02:00-03:00 once", "America/New_York",
			Schedule{Kind: "cron", Cron: "* * * * *"}, "2027-03-14T06:57:00Z",
			[]string{"2027-03-14T06:58:00Z", "2027-03-14T06:59:00Z", "2027-03-14T07:00:00Z", "2027-03-14T07:01:00Z"}},
		{"Upcoming gives 5 results", "UTC",
			Schedule{Kind: "daily", Time: "08:00"}, "2027-01-01T00:00:00Z",
			[]string{"2027-01-01T08:00:00Z", "2027-01-02T08:00:00Z", "2027-01-03T08:00:00Z", "2027-01-04T08:00:00Z", "2027-01-05T08:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.s.Upcoming(utc(c.after), zone(t, c.zone), len(c.want))
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if !got[i].Equal(utc(c.want[i])) || got[i].Location() != time.UTC {
					t.Errorf("fire %d = %v, want %s (UTC)", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestNextNone(t *testing.T) {
	cases := []struct {
		name  string
		s     Schedule
		after string
	}{
		{"once already past", Schedule{Kind: "once", At: "2027-03-14T02:30"}, "2027-03-14T07:00:00Z"},
		{"cron that never matches", Schedule{Kind: "cron", Cron: "0 0 30 2 *"}, "2027-01-01T00:00:00Z"},
		{"invalid schedule", Schedule{Kind: "hourly"}, "2027-01-01T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, ok := c.s.Next(utc(c.after), zone(t, "America/New_York")); ok {
				t.Errorf("Next = %v, want none", got)
			}
		})
	}
}

// TestEveryMinuteStrictlyIncreasing walks a whole DST day minute by minute in several
// zones: fires are strictly increasing and none is lost or doubled.
func TestEveryMinuteStrictlyIncreasing(t *testing.T) {
	cases := []struct {
		zone  string
		after string
		want  int // fires in the following 24 hours: every real minute, except the repeated wall times
	}{
		{"America/New_York", "2027-03-14T04:00:00Z", 24 * 60},    // 02:00..02:59 fold into 03:00, a real minute
		{"America/New_York", "2027-11-07T04:00:00Z", 24*60 - 60}, // the second 01:xx hour is silent
		{"Australia/Lord_Howe", "2027-10-02T12:00:00Z", 24 * 60},
		{"Australia/Lord_Howe", "2027-04-03T12:00:00Z", 24*60 - 30},
	}
	s := Schedule{Kind: "cron", Cron: "* * * * *"}
	for _, c := range cases {
		t.Run(c.zone+" "+c.after, func(t *testing.T) {
			loc := zone(t, c.zone)
			after := utc(c.after)
			end := after.Add(24 * time.Hour)
			n := 0
			for prev := after; ; n++ {
				next, ok := s.Next(prev, loc)
				if !ok || next.After(end) {
					break
				}
				if !next.After(prev) {
					t.Fatalf("fire %v not after %v", next, prev)
				}
				prev = next
			}
			if n != c.want {
				t.Errorf("%d fires in 24h, want %d", n, c.want)
			}
		})
	}
}
