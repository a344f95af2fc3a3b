package share

import (
	"errors"
	"testing"
	"time"

	"filippo.io/age"
)

// cardLine is the line `mysafe key` prints for u.
func (u *user) cardLine(t testing.TB) string {
	t.Helper()
	line, err := MakeCard(u.key(), u.pq.Recipient().String(), u.signing)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// A CI job holds only its own identity and the sender's card: it reads
// what that sender signed for it, and nothing anybody else made.
func TestReadBundle(t *testing.T) {
	bob, ci, dave := newUser(t, "bob"), newUser(t, "ci"), newUser(t, "dave")
	ciIDs := []age.Identity{ci.x}
	good := bob.bundle(t, bob.sender(), []*user{ci}, bob.record(1, ci))

	recs, err := ReadBundle(good, ciIDs, bob.cardLine(t), testNow())
	if err != nil {
		t.Fatalf("bob's bundle with bob's card: %v", err)
	}
	if len(recs) != 1 || recs[0].Identifier != "payments-prod" || recs[0].ClientSecret.Reveal() != "s3cr3t-genuine" {
		t.Fatalf("records = %+v", recs)
	}

	// The same payload, unsigned: whoever made it, nobody vouches for it.
	ciPerson := person{name: "ci", identity: ci.x, key: ci.key()}
	raw := rawPayload(t, NewPayload(testNow(), bob.sender(), []Record{bob.record(1, ci)}), bob.signing, []person{ciPerson}, nil)
	unsigned := sealRaw(t, raw, nil, "", ciPerson)

	// Dave signs a bundle of his own that claims Bob's record.
	forged := dave.bundle(t, dave.sender(), []*user{ci}, bob.record(2, ci))
	for _, tc := range []struct {
		name string
		data []byte
		ids  []age.Identity
		card string
		want error
	}{
		{"bob's bundle checked against dave's card", good, ciIDs, dave.cardLine(t), ErrSender},
		{"dave relaying bob's record, with dave's card", forged, ciIDs, dave.cardLine(t), ErrNotPermitted},
		{"dave's bundle checked against bob's card", forged, ciIDs, bob.cardLine(t), ErrSender},
		{"a card changed by one character", good, ciIDs, changeOneChar(bob.cardLine(t), 40), ErrInvalidCard},
		{"a plain key instead of a card", good, ciIDs, bob.key(), ErrInvalidCard},
		{"not addressed to this identity", good, []age.Identity{dave.x}, bob.cardLine(t), ErrNotAddressed},
		{"unsigned", unsigned, ciIDs, bob.cardLine(t), ErrUnsigned},
		{"expired", bob.bundleExpiring(t, ci), ciIDs, bob.cardLine(t), ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := ReadBundle(tc.data, tc.ids, tc.card, testNow())
			if !errors.Is(err, tc.want) || recs != nil {
				t.Errorf("got %d records, %v; want %v", len(recs), err, tc.want)
			}
		})
	}
}

// changeOneChar returns s with its i-th byte replaced by another letter of
// the bech32 alphabet.
func changeOneChar(s string, i int) string {
	c := byte('x')
	if s[i] == c {
		c = 'q'
	}
	return s[:i] + string(c) + s[i+1:]
}

// bundleExpiring is u's own bundle of one record for to, which expired an
// hour before testNow.
func (u *user) bundleExpiring(t testing.TB, to *user) []byte {
	t.Helper()
	p := NewPayload(testNow().Add(-2*time.Hour), u.sender(), []Record{u.record(1, to)})
	expired := testNow().Add(-time.Hour)
	p.ExpiresAt = &expired
	b, err := Build(p, u.signing, []Recipient{to.recipient(t)}, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
