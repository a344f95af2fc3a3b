package team

import (
	"errors"
	"strings"
	"testing"
)

const testUID = "0123456789abcdef0123456789abcdef"

func TestRecordPathRoundTrip(t *testing.T) {
	data := []byte("age-encryption.org/v1 pretend")
	p := RecordPath(testUID, 7, data)
	if !strings.HasPrefix(p, "records/"+testUID+"/7-") || !strings.HasSuffix(p, ".bundle") {
		t.Fatalf("RecordPath = %q", p)
	}
	f, ok := ParseRecordPath(p)
	if !ok || f.UID != testUID || f.Revision != 7 {
		t.Fatalf("ParseRecordPath(%q) = %+v, %v", p, f, ok)
	}
	if err := f.CheckContent(data); err != nil {
		t.Fatalf("CheckContent of its own data: %v", err)
	}
	if err := f.CheckContent(append(data, '!')); !errors.Is(err, ErrName) {
		t.Fatalf("CheckContent of other data = %v, want ErrName", err)
	}
}

func TestParseRecordPathRefuses(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for _, p := range []string{
		"records/" + testUID + "/1-" + hash + ".bundle.age",
		"records/" + testUID + "/01-" + hash + ".bundle",     // leading zero: two names for one revision
		"records/" + testUID + "/0-" + hash + ".bundle",      // no revision 0
		"records/" + testUID + "/-" + hash + ".bundle",       // no revision
		"records/" + testUID + "/1-" + hash[:63] + ".bundle", // short hash
		"records/" + testUID + "/1-" + strings.ToUpper(hash) + ".bundle",
		"records/" + strings.ToUpper(testUID) + "/1-" + hash + ".bundle",
		"records/../1-" + hash + ".bundle",
		"records/" + testUID + "/x/1-" + hash + ".bundle",
		"members/" + testUID + "/1-" + hash + ".bundle",
		"records/" + testUID + "/99999999999999999999999-" + hash + ".bundle", // overflows
		"records/" + testUID + "/1_" + hash + ".bundle",
	} {
		if f, ok := ParseRecordPath(p); ok {
			t.Errorf("ParseRecordPath(%q) = %+v, want refused", p, f)
		}
	}
}

func TestMemberPaths(t *testing.T) {
	for _, tc := range []struct {
		path, name string
		ok         bool
	}{
		{"members/bob.card", "bob", true},
		{"members/ci-deploy.key", "ci-deploy", true},
		{"members/bob.txt", "", false},
		{"members/.card", "", false},
		{"members/../x.card", "", false},
		{"members/a b.card", "", false},
		{"records/bob.card", "", false},
	} {
		name, ok := ParseMemberPath(tc.path)
		if name != tc.name || ok != tc.ok {
			t.Errorf("ParseMemberPath(%q) = %q, %v; want %q, %v", tc.path, name, ok, tc.name, tc.ok)
		}
	}
	if MemberPath("bob", true) != "members/bob.card" || MemberPath("ci", false) != "members/ci.key" {
		t.Error("MemberPath")
	}
	for _, bad := range []string{"", ".hidden", "a/b", `a\b`, "a b", strings.Repeat("x", 65), "é/"} {
		if CheckMemberName(bad) == nil {
			t.Errorf("CheckMemberName(%q) accepted", bad)
		}
	}
	if err := CheckMemberName("Zoë_ops-1.eu"); err != nil {
		t.Errorf("CheckMemberName: %v", err)
	}
}

func TestStateSeen(t *testing.T) {
	var st State
	st.MarkSeen("b", "a", "b")
	if !st.HasSeen("a") || !st.HasSeen("b") || st.HasSeen("c") || len(st.Seen) != 2 || st.Seen[0] != "a" {
		t.Fatalf("Seen = %v", st.Seen)
	}
	st.Accept("u", 3)
	st.Accept("u", 2)
	if st.Accepted["u"] != 3 {
		t.Fatalf("Accepted = %v: a lower revision lowered it", st.Accepted)
	}
}
