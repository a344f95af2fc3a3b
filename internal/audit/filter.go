package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Filter selects entries: all of its set fields must match.
type Filter struct {
	RecordID string    // only entries about this API secret
	Action   Action    // only this action
	Since    time.Time // only entries at or after this time
}

// Match reports whether e passes the filter.
func (f Filter) Match(e *Entry) bool {
	return (f.RecordID == "" || e.RecordID == f.RecordID) &&
		(f.Action == "" || e.Action == f.Action) &&
		(f.Since.IsZero() || !e.Time.Before(f.Since))
}

// ParseAge reads a length of time back from now: a number of days (90d),
// weeks (2w), hours (12h) or minutes (30m), or any Go duration (1h30m).
func ParseAge(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	for _, u := range []struct {
		suffix string
		d      time.Duration
	}{{"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour}} {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			v, err := strconv.ParseUint(n, 10, 32)
			if err != nil {
				break
			}
			return time.Duration(v) * u.d, nil
		}
	}
	if d, err := time.ParseDuration(t); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%q is not a length of time such as 7d, 2w or 12h", s)
}

// ParseSince reads the start of a period: a length of time back from now
// (see ParseAge), a date (2026-03-01, midnight UTC) or an RFC 3339 time.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if d, err := ParseAge(s); err == nil {
		return now.Add(-d), nil
	}
	t := strings.TrimSpace(s)
	if d, err := time.Parse(time.DateOnly, t); err == nil {
		return d, nil
	}
	if d, err := time.Parse(time.RFC3339, t); err == nil {
		return d, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time such as 7d, 12h, 2026-03-01 or 2026-03-01T09:00:00Z", s)
}
