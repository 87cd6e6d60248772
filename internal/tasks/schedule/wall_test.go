package schedule

import (
	"testing"
	"time"
)

// bruteWall is the SPEC §15 rule written out naively: scan the instants, minute by minute,
// that could show the wall time w; the first that shows it fires; if none does (a gap),
// the first instant whose wall time is past w fires.
func bruteWall(w time.Time, loc *time.Location) time.Time {
	want := w.Format("2006-01-02T15:04")
	for u := w.Add(-zoneReach * time.Second); u.Before(w.Add(zoneReach * time.Second)); u = u.Add(time.Minute) {
		if u.In(loc).Format("2006-01-02T15:04") == want {
			return u
		}
	}
	for u := w.Add(-zoneReach * time.Second); ; u = u.Add(time.Minute) {
		if u.In(loc).Format("2006-01-02T15:04") > want {
			return u
		}
	}
}

// TestResolveWallMatchesBruteForce checks every wall minute of the night around each 2027
// transition against the naive rule, in zones with 1-hour and 30-minute shifts, north and
// south, and across the date line.
func TestResolveWallMatchesBruteForce(t *testing.T) {
	cases := []struct {
		zone string
		day  string
	}{
		{"America/New_York", "2027-03-14"}, {"America/New_York", "2027-11-07"},
		{"Europe/London", "2027-03-28"}, {"Europe/London", "2027-10-31"},
		{"Australia/Lord_Howe", "2027-04-04"}, {"Australia/Lord_Howe", "2027-10-03"},
		{"Pacific/Auckland", "2027-04-04"}, {"Pacific/Auckland", "2027-09-26"},
		{"America/Santiago", "2027-04-04"}, {"America/Santiago", "2027-09-05"}, // at midnight
		{"Asia/Kolkata", "2027-03-14"}, {"UTC", "2027-03-14"},
	}
	for _, c := range cases {
		t.Run(c.zone+" "+c.day, func(t *testing.T) {
			loc := zone(t, c.zone)
			day, _ := time.Parse("2006-01-02", c.day)
			for m := -120; m < 5*60; m++ {
				w := day.Add(time.Duration(m) * time.Minute)
				got := resolveWall(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), loc)
				if want := bruteWall(w, loc); !got.Equal(want) {
					t.Fatalf("%s: got %v, want %v", w.Format("2006-01-02T15:04"), got.In(loc), want.In(loc))
				}
			}
		})
	}
}
