package audit

import (
	"strings"
	"testing"
	"time"
)

func TestLastUses(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 1, 1, 10, min, 0, 0, time.UTC) }
	log := []Entry{
		{Seq: 1, Time: at(1), Action: Add, RecordID: "a"},
		{Seq: 2, Time: at(2), Action: Reveal, RecordID: "a"},
		{Seq: 3, Time: at(3), Action: Import, Detail: "2 API secrets from old.json"},
		{Seq: 4, Time: at(4), Action: Copy, RecordID: "b"},
		// A clock that went back: the latest entry counts, not the latest time.
		{Seq: 5, Time: at(0), Action: Token, RecordID: "b"},
		{Seq: 6, Time: at(6), Action: Export},
		{Seq: 7, Time: at(7), Action: Edit, RecordID: "a"},
		{Seq: 8, Time: at(8), Action: Share, RecordID: "a"},
	}
	var l LastUses
	for i := range log {
		l.Add(&log[i])
	}
	for _, c := range []struct {
		name string
		id   string
		t    time.Time
		want string // "" when it agrees
	}{
		{"the latest use", "a", at(2), ""},
		{"an older use", "a", at(1), "but its last use in the audit log (entry 2) was at"},
		{"a later time than its last use", "a", at(9), "entry 2"},
		{"never, though used", "a", time.Time{}, "its Last use is never, but"},
		{"the latest entry, not the latest time", "b", at(0), ""},
		{"the latest time, not the latest entry", "b", at(4), "entry 5"},
		{"never used, never said", "c", time.Time{}, ""},
		{"before the log began", "c", at(0).Add(-time.Hour), ""},
		{"from an imported file", "c", at(3), ""},
		{"after the last import, never logged", "c", at(5), "the audit log records no use of it"},
		{"export and share are not uses", "c", at(8), "records no use"},
	} {
		got := l.Check(c.id, c.t)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	var empty LastUses
	if got := empty.Check("a", at(5)); got != "" {
		t.Errorf("an empty log: %q", got)
	}
}
