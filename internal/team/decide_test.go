package team

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

// person is someone with mysafe keys: an age identity and a signing key.
type person struct {
	name    string
	id      *age.X25519Identity
	signer  ed25519.PrivateKey
	contact share.Contact
}

func newPerson(t testing.TB, name string) *person {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &person{name: name, id: id, signer: priv, contact: share.Contact{
		Name: name, Key: id.Recipient().String(), Kind: string(share.KindX25519), Signing: share.FormatSigningKey(pub)}}
}

func (p *person) key() string { return p.id.Recipient().String() }

// bundle builds a record file from p holding rec, encrypted to the people
// to, and returns its path and content.
func (p *person) bundle(t testing.TB, rec share.Record, now time.Time, to ...*person) (string, []byte) {
	t.Helper()
	var rs []share.Recipient
	for _, q := range to {
		r, err := share.ParseRecipient(q.key())
		if err != nil {
			t.Fatal(err)
		}
		r.Name = q.name
		rs = append(rs, r)
	}
	payload := share.NewPayload(now, share.Sender{Name: p.name, Recipient: p.key()}, []share.Record{rec})
	data, err := share.Build(payload, p.signer, rs, false)
	if err != nil {
		t.Fatal(err)
	}
	return RecordPath(rec.UID, rec.Revision, data), data
}

func TestDecideAttacks(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	alice, bob, carol, eve, dave := newPerson(t, "alice"), newPerson(t, "bob"), newPerson(t, "carol"), newPerson(t, "eve"), newPerson(t, "dave")
	st := &State{Members: []Member{
		{Name: "alice", AddedAt: now}, {Name: "bob", AddedAt: now}, {Name: "dave", AddedAt: now, RemovedAt: now},
	}}
	env := Env{Identities: []age.Identity{carol.id}, Self: []string{carol.key()},
		Contacts: []share.Contact{alice.contact, bob.contact, dave.contact}, Team: st, Now: now}
	revision := func(rev uint64, owner *person, secretValue string) share.Record {
		var access []share.Access
		for _, a := range []share.Access{
			{Name: "bob", Recipient: bob.key(), Permission: secret.PermEdit, GrantedAt: now},
			{Name: "carol", Recipient: carol.key(), Permission: secret.PermView, GrantedAt: now},
		} {
			if a.Recipient != owner.key() {
				access = append(access, a)
			}
		}
		return share.Record{UID: testUID, Revision: rev, Owner: owner.name, OwnerKey: owner.key(), Access: access,
			Portable: secret.Portable{Name: "payments", URL: "https://pay.example", ClientID: "pay",
				ClientSecret: secret.Clear{Value: secret.NewValue(secretValue)}, CreatedAt: now, UpdatedAt: now}}
	}
	store := func(out Outcome) {
		t.Helper()
		if out.Verdict != Import {
			t.Fatalf("%s: verdict %v, err %v", out.Path, out.Verdict, out.Err)
		}
		for _, s := range out.Plan.Steps {
			env.Records = []*secret.Record{s.Record}
		}
		st.Accept(testUID, out.Opened.Payload.Records[0].Revision)
	}

	p1, d1 := alice.bundle(t, revision(1, alice, "one"), now, bob, carol)
	store(Decide(p1, d1, env))
	p2, d2 := alice.bundle(t, revision(2, alice, "two"), now, bob, carol)
	store(Decide(p2, d2, env))

	// The same bundle from Eve's side: she changes one byte and names the
	// file after the new content.
	bad := append([]byte(nil), d2...)
	bad[len(bad)-20] ^= 1
	tamperedPath := RecordPath(testUID, 2, bad)

	// A file made for someone else, and a bundle of an older revision.
	otherPath, otherData := alice.bundle(t, revision(3, alice, "three"), now, bob)
	oldPath, oldData := alice.bundle(t, revision(1, alice, "one"), now.Add(time.Hour), bob, carol)

	for _, tc := range []struct {
		name    string
		path    string
		data    []byte
		verdict Verdict
		reason  string
	}{
		{"renamed to a higher revision", strings.Replace(p2, "/2-", "/5-", 1), d2, Refused, "not what its name says"},
		{"copied under another record", strings.Replace(p2, testUID, strings.Repeat("f", 32), 1), d2, Refused, "not what its name says"},
		{"changed, then named after its content", tamperedPath, bad, Refused, "damaged"},
		{"content does not match the name", p2, d1, Refused, "content was changed"},
		{"not a record file", "records/x.bundle", d2, Refused, "not a record file name"},
		{"for someone else", otherPath, otherData, NotForMe, ""},
		{"an older genuine revision", oldPath, oldData, Older, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Decide(tc.path, tc.data, env)
			if out.Verdict != tc.verdict || tc.reason != "" && (out.Err == nil || !strings.Contains(out.Err.Error(), tc.reason)) {
				t.Fatalf("verdict %v, err %v; want %v, %q", out.Verdict, out.Err, tc.verdict, tc.reason)
			}
			if tc.verdict == Refused && !errors.Is(out.Err, ErrRefused) {
				t.Fatalf("err %v does not wrap ErrRefused", out.Err)
			}
		})
	}

	// Signed by people who may not change the record.
	forged := revision(9, alice, "forged")
	// Records signed by their owners, to be delivered by Bob: he opens
	// their bundles and wraps the owner-signed records in his own.
	ownerSigned := func(owner *person) share.Record {
		rec := revision(1, owner, "theirs")
		rec.UID = strings.Repeat("e", 32)
		_, data := owner.bundle(t, rec, now, bob)
		o, err := share.Open(data, []age.Identity{bob.id}, now, share.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return o.Payload.Records[0]
	}
	eveRecord, daveRecord := ownerSigned(eve), ownerSigned(dave)
	for _, tc := range []struct {
		name   string
		from   *person
		rec    share.Record
		reason string
	}{
		// Bob holds edit access, but only the owner's signature makes a
		// revision: his bundle names Alice as owner without her signature.
		{"a member's revision of the owner's record", bob, forged, "not signed by them"},
		// Bob claims the record as his own.
		{"a member claiming to own it", bob, revision(9, bob, "forged"), "owned by alice"},
		// Eve is nobody's contact: her file waits, unread, in case the
		// user pins her card one day (below).
		// Dave was removed from the team.
		{"a removed member", dave, revision(9, dave, "forged"), "removed from the team"},
		// Bob delivers a record owned by Eve, signed by her: nobody pinned
		// her card, so nothing vouches for its owner.
		{"a member delivering a stranger's record", bob, eveRecord, "whose card you did not pin"},
		// Bob delivers Dave's own signed revision after Dave's removal.
		{"a member delivering a removed member's revision", bob, daveRecord, "owned by dave, whom you removed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, data := tc.from.bundle(t, tc.rec, now, carol)
			out := Decide(p, data, env)
			if out.Verdict != Refused || !strings.Contains(out.Err.Error(), tc.reason) {
				t.Fatalf("verdict %v, err %v; want refused, %q", out.Verdict, out.Err, tc.reason)
			}
		})
	}
	p, data := eve.bundle(t, revision(9, eve, "forged"), now, carol)
	if out := Decide(p, data, env); out.Verdict != Unpinned || !strings.Contains(out.Err.Error(), "not pinned") || out.Plan != nil {
		t.Fatalf("a file from someone not pinned: verdict %v, err %v", out.Verdict, out.Err)
	}
	if got := env.Records[0]; !got.ClientSecret.Equal(secret.NewValue("two")) || got.Revision != 2 {
		t.Fatalf("the stored record changed: revision %d", got.Revision)
	}
}
