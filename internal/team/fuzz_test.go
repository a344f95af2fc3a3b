package team

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParsePaths feeds file names a remote chooses to the parsers: a name
// they accept must be one this package writes, exactly.
func FuzzParsePaths(f *testing.F) {
	f.Add(RecordPath(testUID, 3, []byte("x")))
	f.Add("members/bob.card")
	f.Add("members/ci.key")
	f.Add("records/" + testUID + "/01-" + strings.Repeat("a", 64) + ".bundle")
	f.Fuzz(func(t *testing.T, p string) {
		if rf, ok := ParseRecordPath(p); ok {
			want := RecordsDir + "/" + rf.UID + "/" + strconv.FormatUint(rf.Revision, 10) + "-" + rf.Hash + ".bundle"
			if p != want {
				t.Fatalf("ParseRecordPath(%q) accepted a name it would write as %q", p, want)
			}
		}
		if name, ok := ParseMemberPath(p); ok {
			if p != MemberPath(name, true) && p != MemberPath(name, false) {
				t.Fatalf("ParseMemberPath(%q) = %q, which is written elsewhere", p, name)
			}
			if CheckMemberName(name) != nil {
				t.Fatalf("ParseMemberPath(%q) accepted a bad name %q", p, name)
			}
		}
	})
}

// FuzzCheckCards feeds member files a remote chooses to CheckCards, which
// must never panic and must flag any file for a pinned member that does
// not hold the pinned keys.
func FuzzCheckCards(f *testing.F) {
	f.Add("members/bob.card", "mysafe-card-1 age1 age1pq1 ssh-ed25519 AAAA sig")
	f.Add("members/bob.key", "age1u6vet8jkdffwrnx6nh3syhvm4cs7d4nedrn9mt7gfg6c2mxf83zs49jsmp")
	f.Fuzz(func(t *testing.T, p, content string) {
		now := time.Unix(0, 0)
		st := &State{Members: []Member{{Name: "bob", Pinned: "age1u6vet8jkdffwrnx6nh3syhvm4cs7d4nedrn9mt7gfg6c2mxf83zs49jsmp"}}}
		notes := CheckCards(map[string]string{p: content}, st, testContact(t, "alice"), now)
		name, ok := ParseMemberPath(p)
		if !ok || !strings.EqualFold(name, "bob") {
			return
		}
		if strings.TrimSpace(content) == st.Members[0].Pinned {
			for _, n := range notes {
				if n.Problem {
					t.Fatalf("the pinned key itself was flagged: %+v", n)
				}
			}
			return
		}
		got, err := PinnedContact(name, content, now)
		want, _ := PinnedContact("bob", st.Members[0].Pinned, now)
		if err == nil && SameKeys(got, want) {
			return
		}
		if len(notes) != 1 || !notes[0].Problem {
			t.Fatalf("a file for bob that is not his pinned key was not flagged: %q -> %+v", content, notes)
		}
	})
}
