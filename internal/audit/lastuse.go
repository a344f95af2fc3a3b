package audit

import (
	"fmt"
	"time"
)

// LastUses is what a log says about the Last use of each API secret: fed
// every entry of a log in order (Add), it tells whether the Last use a
// record carries agrees with the log (Check).
//
// A record's Last use is set in the same commit that appends its use, so
// when the log holds a use of the record, the record's Last use is the time
// of the latest such entry, exactly. When the log holds none, the record was
// never used since the log began, and its Last use is empty, with two
// exceptions the log cannot check: a Last use from before the log's first
// entry (a vault older than its log), and one no later than an import
// recorded in the log (an import keeps the times of the file it reads).
// Bundles and team sync keep a record's own Last use, and `rm` leaves no
// record to check.
type LastUses struct {
	last       map[string]*Entry // the latest use of each record, by id
	first      time.Time         // the first entry's time
	lastImport time.Time         // the time of the latest import
	entries    int
}

// Add takes the log's next entry.
func (l *LastUses) Add(e *Entry) {
	if l.entries == 0 {
		l.first = e.Time
	}
	l.entries++
	switch {
	case e.Action.IsUse() && e.RecordID != "":
		if l.last == nil {
			l.last = map[string]*Entry{}
		}
		l.last[e.RecordID] = e
	case e.Action == Import && e.Time.After(l.lastImport):
		l.lastImport = e.Time
	}
}

// Check returns "" when a record with id whose Last use is t agrees with
// the log, and says how it disagrees otherwise.
func (l *LastUses) Check(id string, t time.Time) string {
	if u := l.last[id]; u != nil {
		if t.Equal(u.Time) {
			return ""
		}
		when := "never"
		if !t.IsZero() {
			when = t.UTC().Format(time.RFC3339Nano)
		}
		return fmt.Sprintf("its Last use is %s, but its last use in the audit log (entry %d) was at %s", when, u.Seq, u.Time.UTC().Format(time.RFC3339Nano))
	}
	switch {
	case t.IsZero(), l.entries == 0, t.Before(l.first), !t.After(l.lastImport):
		return ""
	}
	return fmt.Sprintf("its Last use is %s, but the audit log records no use of it", t.UTC().Format(time.RFC3339Nano))
}
