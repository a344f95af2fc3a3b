package share

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

func TestDecide(t *testing.T) {
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	carol, dave := newX25519Person(t, "carol"), newX25519Person(t, "dave")
	bobPQ := newHybridPerson(t, "bob")
	lastUsed := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

	// incoming returns the bundle's record at revision rev; changed gives it
	// new content.
	incoming := func(rev uint64, changed bool) Record {
		r := testRecord(alice, uid1, "payments")
		r.Tags = []string{"billing", "prod"}
		r.Revision = rev
		if changed {
			r.ClientSecret = secret.NewValue("rotated")
		}
		return r
	}
	// bobsCopy is Bob's copy of Alice's record, synced at revision 3 and
	// changed locally up to revision rev.
	bobsCopy := func(perm secret.Permission, rev uint64) *secret.Record {
		r := incoming(3, false).Secret()
		r.ID, r.Permission, r.LastUsedAt = "00112233aabbccdd", perm, lastUsed
		r.Revision, r.SyncedRevision = rev, 3
		if rev > 3 {
			r.Notes = "bob's local note"
		}
		return r
	}
	// alicesOwn is Alice's own record, shared at revision 3, changed locally
	// up to revision rev.
	alicesOwn := func(rev uint64) *secret.Record {
		r := bobsCopy(secret.PermOwner, rev)
		r.Owner, r.OwnerKey, r.Permission = "", "", secret.PermOwner
		r.Access = []secret.Access{
			{Name: "bob", Recipient: bob.key, Permission: secret.PermEdit},
			{Name: "carol", Recipient: carol.key, Permission: secret.PermView},
			{Name: "dave", Recipient: dave.key, Permission: secret.PermEdit, RevokedAt: lastUsed},
		}
		if rev > 3 {
			r.Notes = "alice's local note"
		}
		return r
	}
	claimedBy := func(r Record, p person) Record {
		r.Owner, r.OwnerKey = p.name, p.key
		return r
	}

	tests := []struct {
		name   string
		local  *secret.Record
		in     Incoming
		action Action
		reason string
		check  func(t *testing.T, r *secret.Record)
	}{
		// Bob imports from Alice.
		{"new record", nil,
			Incoming{Record: incoming(3, false), Permission: secret.PermView, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionAdd, "view", func(t *testing.T, r *secret.Record) {
				if r.Permission != secret.PermView || r.Revision != 3 || r.SyncedRevision != 3 || r.OwnerKey != alice.key || r.ID != "" {
					t.Errorf("added %+v", r)
				}
			}},
		{"new record with edit, from an unknown signer", nil,
			Incoming{Record: incoming(3, false), Permission: secret.PermEdit, Self: []string{bob.key}},
			ActionAdd, "edit", func(t *testing.T, r *secret.Record) {
				if r.Permission != secret.PermEdit {
					t.Errorf("permission %q", r.Permission)
				}
			}},
		{"new record that claims to be mine", nil,
			Incoming{Record: claimedBy(incoming(3, false), bob), Permission: secret.PermView, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionRefuse, "you own", nil},
		{"identical", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(3, false), Permission: secret.PermView, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUnchanged, "up to date", nil},
		{"identical content at a newer revision", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(5, false), Permission: secret.PermView, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUnchanged, "up to date", nil},
		{"older revision", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(2, true), Permission: secret.PermView, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUnchanged, "revision 2", nil},
		{"same revision, other content", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(3, true), Permission: secret.PermView, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUnchanged, "already has revision 3", nil},
		{"newer from the owner", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(4, true), Permission: secret.PermView, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUpdate, "revision 4", func(t *testing.T, r *secret.Record) {
				if r.ClientSecret.Reveal() != "rotated" || r.Revision != 4 || r.SyncedRevision != 4 ||
					r.ID != "00112233aabbccdd" || !r.LastUsedAt.Equal(lastUsed) || r.Permission != secret.PermView {
					t.Errorf("updated %+v", r)
				}
			}},
		{"newer from the owner, with edit now", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUpdate, "revision 4", func(t *testing.T, r *secret.Record) {
				if r.Permission != secret.PermEdit {
					t.Errorf("permission %q", r.Permission)
				}
			}},
		{"newer from an unknown signer", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(4, true), Permission: secret.PermView, Self: []string{bob.key}},
			ActionRefuse, "only be changed by its owner, alice", nil},
		{"newer from a fellow editor", bobsCopy(secret.PermEdit, 3),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, SenderKeys: []string{carol.key}, Self: []string{bob.key}},
			ActionRefuse, "owner", nil},
		{"both changed", bobsCopy(secret.PermEdit, 4),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionConflict, "changed both here (revision 4) and in the bundle (revision 4) since revision 3", func(t *testing.T, r *secret.Record) {
				if r.ClientSecret.Reveal() != "rotated" || r.Notes == "bob's local note" {
					t.Errorf("theirs = %+v", r)
				}
			}},
		{"local change, bundle older", bobsCopy(secret.PermEdit, 5),
			Incoming{Record: incoming(3, true), Permission: secret.PermEdit, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUnchanged, "revision 3", nil},
		{"other owner", bobsCopy(secret.PermView, 3),
			Incoming{Record: claimedBy(incoming(4, true), carol), Permission: secret.PermView, SenderKeys: []string{carol.key}, Self: []string{bob.key}},
			ActionRefuse, "owned by alice, but the bundle says carol", nil},
		{"owner grants edit", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(3, false), Permission: secret.PermEdit, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUpdate, "from view to edit", func(t *testing.T, r *secret.Record) {
				if r.Permission != secret.PermEdit || r.Revision != 3 || r.SyncedRevision != 3 {
					t.Errorf("updated %+v", r)
				}
			}},
		{"owner downgrades to view, keeping local edits", bobsCopy(secret.PermEdit, 4),
			Incoming{Record: incoming(3, false), Permission: secret.PermView, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUpdate, "from edit to view", func(t *testing.T, r *secret.Record) {
				if r.Permission != secret.PermView || r.Notes != "bob's local note" || r.Revision != 4 {
					t.Errorf("updated %+v", r)
				}
			}},
		{"permission change in an old bundle", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(2, false), Permission: secret.PermEdit, SenderKeys: []string{alice.key}, Self: []string{bob.key}},
			ActionUnchanged, "", nil},
		{"permission change from a non-owner", bobsCopy(secret.PermView, 3),
			Incoming{Record: incoming(3, false), Permission: secret.PermEdit, SenderKeys: []string{carol.key}, Self: []string{bob.key}},
			ActionUnchanged, "up to date", nil},

		// Alice, the owner, imports changes.
		{"editor's change", alicesOwn(3),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, SenderKeys: []string{bob.key}, Self: []string{alice.key}},
			ActionUpdate, "revision 4", func(t *testing.T, r *secret.Record) {
				if !r.Mine() || r.OwnerKey != "" || r.Owner != "" || r.ClientSecret.Reveal() != "rotated" ||
					r.Revision != 4 || r.SyncedRevision != 4 || len(r.Access) != 3 {
					t.Errorf("updated %+v", r)
				}
			}},
		{"editor's change, editor known by post-quantum key", func() *secret.Record {
			r := alicesOwn(3)
			r.Access[0].Recipient = bobPQ.key
			return r
		}(),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, SenderKeys: []string{bob.key, bobPQ.key}, Self: []string{alice.key}},
			ActionUpdate, "revision 4", nil},
		{"viewer's change", alicesOwn(3),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, SenderKeys: []string{carol.key}, Self: []string{alice.key}},
			ActionRefuse, "no edit access", nil},
		{"revoked editor's change", alicesOwn(3),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, SenderKeys: []string{dave.key}, Self: []string{alice.key}},
			ActionRefuse, "no edit access", nil},
		{"unknown signer's change", alicesOwn(3),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, Self: []string{alice.key}},
			ActionRefuse, "no edit access", nil},
		{"editor's change, owner changed too", alicesOwn(4),
			Incoming{Record: incoming(4, true), Permission: secret.PermEdit, SenderKeys: []string{bob.key}, Self: []string{alice.key}},
			ActionConflict, "changed both", func(t *testing.T, r *secret.Record) {
				if !r.Mine() || r.ClientSecret.Reveal() != "rotated" {
					t.Errorf("theirs = %+v", r)
				}
			}},
		{"own record claimed by another", alicesOwn(3),
			Incoming{Record: claimedBy(incoming(4, true), bob), Permission: secret.PermEdit, SenderKeys: []string{bob.key}, Self: []string{alice.key}},
			ActionRefuse, "is yours, but the bundle says bob", nil},
		{"own record echoed back", alicesOwn(3),
			Incoming{Record: incoming(3, false), Permission: secret.PermView, SenderKeys: []string{carol.key}, Self: []string{alice.key}},
			ActionUnchanged, "up to date", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before []byte
			if tt.local != nil {
				before, _ = tt.local.MarshalBinary()
			}
			d := Decide(tt.local, tt.in)
			if d.Action != tt.action || !strings.Contains(d.Reason, tt.reason) {
				t.Fatalf("Decide = %v %q, want %v %q", d.Action, d.Reason, tt.action, tt.reason)
			}
			if tt.local != nil {
				if after, _ := tt.local.MarshalBinary(); !bytes.Equal(before, after) {
					t.Error("Decide modified the local record")
				}
			}
			wantRecord := d.Action == ActionAdd || d.Action == ActionUpdate || d.Action == ActionConflict
			if (d.Record != nil) != wantRecord {
				t.Fatalf("Record = %v for %v", d.Record, d.Action)
			}
			if d.Record != nil && d.Record.UID != uid1 {
				t.Errorf("UID = %q", d.Record.UID)
			}
			switch err := d.Err(); d.Action {
			case ActionConflict:
				if !errors.Is(err, ErrConflict) {
					t.Errorf("Err() = %v", err)
				}
			case ActionRefuse:
				if !errors.Is(err, ErrNotPermitted) {
					t.Errorf("Err() = %v", err)
				}
			default:
				if err != nil {
					t.Errorf("Err() = %v", err)
				}
			}
			if strings.Contains(d.Reason, "rotated") || strings.Contains(d.Reason, "s3cr3t") {
				t.Errorf("reason leaks a secret: %q", d.Reason)
			}
			if tt.check != nil {
				tt.check(t, d.Record)
			}
		})
	}
}

func TestCanSend(t *testing.T) {
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	mine := testRecord(alice, uid1, "payments").Secret()
	mine.Owner, mine.OwnerKey, mine.Permission = "", "", secret.PermOwner
	edit := testRecord(alice, uid1, "payments").Secret()
	edit.Permission = secret.PermEdit
	view := testRecord(alice, uid1, "payments").Secret()
	view.Permission = secret.PermView

	tests := []struct {
		name string
		r    *secret.Record
		to   string
		ok   bool
	}{
		{"own record to anyone", mine, bob.key, true},
		{"edit copy back to owner", edit, alice.key, true},
		{"edit copy to someone else", edit, bob.key, false},
		{"view copy to owner", view, alice.key, false},
		{"view copy to someone else", view, bob.key, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CanSend(tt.r, tt.to)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrNotPermitted)) {
				t.Errorf("CanSend = %v", err)
			}
		})
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{ActionAdd: "add", ActionUpdate: "update", ActionUnchanged: "unchanged", ActionConflict: "conflict", ActionRefuse: "refuse", 0: "Action(0)"} {
		if a.String() != want {
			t.Errorf("%d.String() = %q", int(a), a.String())
		}
	}
}
