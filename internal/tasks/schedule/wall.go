package schedule

import "time"

// zoneReach bounds how far a wall time can be from UTC (offsets run from -12h to +14h), so
// every instant showing a given wall time lies within zoneReach of it read as UTC.
const zoneReach = 15 * 3600

// resolveWall converts a local wall time (whole minutes) in loc to the instant it fires,
// following SPEC §15: a wall time that occurs twice (fall back) maps to its first
// occurrence; one that does not exist (spring forward) maps to the first valid instant
// after it, which is the instant the gap ends (the transition itself).
//
// time.Date leaves both cases unspecified ("not guaranteed"), so this walks the zone's
// periods that can contain the wall time, earliest first, and takes the first period in
// which the wall time exists, or the transition that jumps over it.
func resolveWall(y int, mo time.Month, d, h, mi int, loc *time.Location) time.Time {
	w := time.Date(y, mo, d, h, mi, 0, 0, time.UTC).Unix()
	u := time.Unix(w-zoneReach, 0).In(loc)
	prevOff, havePrev := 0, false
	for {
		_, off := u.Zone()
		start, end := u.ZoneBounds()
		if havePrev && !start.IsZero() {
			// A forward jump at start skips the wall times [start+prevOff, start+off).
			t := start.Unix()
			if w >= t+int64(prevOff) && w < t+int64(off) {
				return start.UTC()
			}
		}
		cand := w - int64(off)
		if (start.IsZero() || cand >= start.Unix()) && (end.IsZero() || cand < end.Unix()) {
			return time.Unix(cand, 0).UTC()
		}
		if end.IsZero() || end.Unix() > w+zoneReach {
			break
		}
		u, prevOff, havePrev = end.In(loc), off, true
	}
	// Unreachable for real zones; keep Go's own choice rather than fail.
	return time.Date(y, mo, d, h, mi, 0, 0, loc).UTC()
}
