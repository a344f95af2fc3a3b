package audit

import (
	"strings"
	"testing"
	"time"
)

func TestDetectActor(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want Actor
	}{
		{"a person", map[string]string{"USER": "alice"}, Actor{User: "alice", Host: "h"}},
		{"LOGNAME when USER is unset", map[string]string{"LOGNAME": "bob"}, Actor{User: "bob", Host: "h"}},
		{"GitHub Actions", map[string]string{"USER": "runner", "GITHUB_RUN_ID": "123", "GITHUB_RUN_ATTEMPT": "2"}, Actor{User: "runner", Host: "h", Job: "github:123/2"}},
		{"GitLab CI", map[string]string{"CI_JOB_ID": "42"}, Actor{Host: "h", Job: "gitlab:42"}},
		{"Jenkins", map[string]string{"BUILD_ID": "7"}, Actor{Host: "h", Job: "jenkins:7"}},
		{"the first one found wins", map[string]string{"GITHUB_RUN_ID": "1", "BUILD_ID": "2"}, Actor{Host: "h", Job: "github:1"}},
		{"cut to the limit", map[string]string{"USER": strings.Repeat("é", 100)}, Actor{User: strings.Repeat("é", MaxActorLen/2), Host: "h"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := DetectActor(func(k string) string { return c.env[k] }, "h"); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestEntryRoundTripAndLimits(t *testing.T) {
	e := Entry{Time: time.Date(2026, 3, 1, 9, 30, 0, 123, time.UTC), Action: Reveal, RecordID: "0123456789abcdef",
		Name: strings.Repeat("n", 1000), Identifier: "pay", Actor: Actor{User: "u", Host: "h", Job: "github:1"}, Detail: "client-secret"}
	b, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Entry
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	want := e
	want.Name = strings.Repeat("n", MaxNameLen)
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	big := Entry{Action: RotateKeys, RecordID: strings.Repeat("x", 100), Name: strings.Repeat("n", 9999), Identifier: strings.Repeat("i", 9999),
		Actor: Actor{User: strings.Repeat("u", 999), Host: strings.Repeat("h", 999), Job: strings.Repeat("j", 999)}, Detail: strings.Repeat("d", 9999)}
	if b, _ := big.MarshalBinary(); len(b) > MaxEntryLen {
		t.Errorf("an entry encodes to %d bytes, over MaxEntryLen %d", len(b), MaxEntryLen)
	}
	for _, bad := range [][]byte{nil, {2, 0, 0, 0, 0, 0, 0, 0, 0}, b[:len(b)-1], append(b, 0)} {
		if err := (&Entry{}).UnmarshalBinary(bad); err == nil {
			t.Errorf("%x decoded", bad)
		}
	}
}

func TestParseSinceAndAge(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"2w":                   now.Add(-14 * 24 * time.Hour),
		"12h":                  now.Add(-12 * time.Hour),
		"1h30m":                now.Add(-90 * time.Minute),
		"2026-03-01":           time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		"2026-03-01T09:00:00Z": time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-3d", "7x", "d"} {
		if _, err := ParseSince(bad, now); err == nil {
			t.Errorf("ParseSince(%q) accepted", bad)
		}
	}
}

func TestFilterAndActions(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	e := &Entry{Time: t0, Action: Exec, RecordID: "a"}
	for _, c := range []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{RecordID: "a", Action: Exec, Since: t0}, true},
		{Filter{RecordID: "b"}, false},
		{Filter{Action: Reveal}, false},
		{Filter{Since: t0.Add(time.Second)}, false},
	} {
		if got := c.f.Match(e); got != c.want {
			t.Errorf("%+v matched %v, want %v", c.f, got, c.want)
		}
	}
	if a, err := ParseAction("Rotate-Keys"); err != nil || a != RotateKeys {
		t.Errorf("ParseAction: %v %v", a, err)
	}
	if _, err := ParseAction("dance"); err == nil {
		t.Error("unknown action accepted")
	}
	for _, a := range []Action{Reveal, Copy, Exec, Inject, Token} {
		if !a.IsUse() {
			t.Errorf("%s is a use", a)
		}
	}
	for _, a := range []Action{Export, Share, Edit, Check} {
		if a.IsUse() {
			t.Errorf("%s is not a use of one API secret", a)
		}
	}
}
