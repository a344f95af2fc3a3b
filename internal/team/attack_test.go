package team

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

// envOf is the vault of a: its keys, the contacts, the team it pinned.
func envOf(a *person, st *State, now time.Time, records []*secret.Record, contacts ...*person) Env {
	env := Env{Identities: []age.Identity{a.id}, Self: []string{a.key()}, Team: st, Now: now, Records: records}
	for _, c := range contacts {
		env.Contacts = append(env.Contacts, c.contact)
	}
	return env
}

// TestDecideMemberAttacks plays members who can push and sign: each
// crafts a file that passes every check of the name and the signature
// except the one that matters, and the file is refused with nothing to
// store.
func TestDecideMemberAttacks(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	alice, bob, carol, eve, mallory := newPerson(t, "alice"), newPerson(t, "bob"), newPerson(t, "carol"), newPerson(t, "eve"), newPerson(t, "mallory")
	pinned := func(self string) *State {
		st := &State{}
		for _, name := range []string{"alice", "bob", "carol", "mallory"} {
			if name == self {
				continue
			}
			m := Member{Name: name, AddedAt: now}
			if name == "mallory" {
				m.RemovedAt = now
			}
			st.Members = append(st.Members, m)
		}
		return st
	}
	access := []share.Access{
		{Name: "bob", Recipient: bob.key(), Permission: secret.PermEdit, GrantedAt: now},
		{Name: "carol", Recipient: carol.key(), Permission: secret.PermView, GrantedAt: now},
	}
	record := func(rev uint64, owner, ownerKey, value string, acc []share.Access) share.Record {
		return share.Record{UID: testUID, Revision: rev, Owner: owner, OwnerKey: ownerKey, Access: acc,
			Portable: secret.Portable{Name: "payments", URL: "https://pay.example", ClientID: "pay",
				ClientSecret: secret.Clear{Value: secret.NewValue(value)}, Identifier: "payments-prod", CreatedAt: now, UpdatedAt: now}}
	}
	// Alice's own copy: she owns it, Bob may edit, Carol may view.
	alicesCopy := func() *secret.Record {
		return &secret.Record{ID: "local-1", UID: testUID, Revision: 2, SyncedRevision: 2, Name: "payments",
			URL: "https://pay.example", ClientID: "pay", ClientSecret: secret.NewValue("two"), Identifier: "payments-prod",
			CreatedAt: now, UpdatedAt: now, Access: []secret.Access{
				{Name: "bob", Recipient: bob.key(), Permission: secret.PermEdit, GrantedAt: now},
				{Name: "carol", Recipient: carol.key(), Permission: secret.PermView, GrantedAt: now},
			}}
	}
	aliceEnv := func() Env {
		return envOf(alice, pinned("alice"), now, []*secret.Record{alicesCopy()}, bob, carol, mallory)
	}
	carolEnv := envOf(carol, pinned("carol"), now, nil, alice, bob, mallory)

	// A forwarded file: Bob opens Alice's genuine revision, addressed to
	// him, and encrypts it again to Carol, whom Alice never sent it to.
	_, genuine := alice.bundle(t, record(3, "alice", alice.key(), "three", access[:1]), now, bob)
	forwarded := reencrypt(t, genuine, bob.id, carol.id.Recipient())

	for _, tc := range []struct {
		name   string
		env    Env
		from   *person
		rec    share.Record
		to     *person
		reason string
	}{
		// Carol only views: her change, sent to the owner as an editor's
		// would be, is not taken.
		{"a view-only holder's change sent to the owner", aliceEnv(), carol,
			record(3, "alice", alice.key(), "carol's", access), alice, "no edit access"},
		// Carol's change presented as the owner's revision, to Bob.
		{"a view-only holder's change presented as the owner's", envOf(bob, pinned("bob"), now, nil, alice, carol, mallory), carol,
			record(3, "alice", alice.key(), "carol's", access), bob, "not signed by them"},
		// Bob claims a record whose owner is "alice" with a key nobody
		// pinned, so no owner signature can be checked: a team revision
		// comes from its owner, never from whoever relays it.
		{"a member relays a record in someone else's name", carolEnv, bob,
			record(1, "alice", eve.key(), "eve's", access), carol, "is not signed by its owner"},
		// The same, in the name of a member Carol removed.
		{"a member relays a record of a removed member", carolEnv, bob,
			record(1, "mallory", mallory.key(), "mallory's", access), carol, "whom you removed"},
		// Bob says Carol owns the record, to slip it into her vault as one
		// of her own.
		{"a member sends a record in the receiver's name", carolEnv, bob,
			record(1, "carol", carol.key(), "bob's", access[:1]), carol, "own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, data := tc.from.bundle(t, tc.rec, now, tc.to)
			out := Decide(p, data, tc.env)
			if out.Verdict != Refused || !errors.Is(out.Err, ErrRefused) || !strings.Contains(out.Err.Error(), tc.reason) {
				t.Fatalf("verdict %v, err %v; want refused, %q", out.Verdict, out.Err, tc.reason)
			}
		})
	}

	t.Run("a file forwarded to someone it was not sent to", func(t *testing.T) {
		out := Decide(RecordPath(testUID, 3, forwarded), forwarded, carolEnv)
		if out.Verdict != Refused || !errors.Is(out.Err, share.ErrForwarded) {
			t.Fatalf("verdict %v, err %v; want refused, forwarded", out.Verdict, out.Err)
		}
	})

	// Bob may edit, so his change is taken, but only its content: the
	// access list and the owner he wrote into it are not.
	t.Run("an editor's change that rewrites the access list", func(t *testing.T) {
		grab := []share.Access{
			{Name: "bob", Recipient: bob.key(), Permission: secret.PermEdit, GrantedAt: now},
			{Name: "carol", Recipient: carol.key(), Permission: secret.PermEdit, GrantedAt: now},
			{Name: "eve", Recipient: eve.key(), Permission: secret.PermEdit, GrantedAt: now},
		}
		p, data := bob.bundle(t, record(3, "alice", alice.key(), "bob's", grab), now, alice)
		env := aliceEnv()
		out := Decide(p, data, env)
		if out.Verdict != Import || len(out.Plan.Steps) != 1 {
			t.Fatalf("verdict %v, err %v; want import", out.Verdict, out.Err)
		}
		got, want := out.Plan.Steps[0].Record, env.Records[0]
		if !got.ClientSecret.Equal(secret.NewValue("bob's")) || !got.Mine() || got.OwnerKey != "" {
			t.Fatalf("stored %+v: want Bob's value in Alice's own record", got)
		}
		if len(got.Access) != len(want.Access) {
			t.Fatalf("access list %+v: want Alice's %+v", got.Access, want.Access)
		}
		for i := range got.Access {
			if got.Access[i].Recipient != want.Access[i].Recipient || got.Access[i].Permission != want.Access[i].Permission {
				t.Fatalf("access list %+v: want Alice's %+v", got.Access, want.Access)
			}
		}
	})
}

// reencrypt opens an age file with id and encrypts its plaintext to to.
func reencrypt(t *testing.T, data []byte, id age.Identity, to age.Recipient) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
