package team

import (
	"testing"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

func testContact(t *testing.T, name string) share.Contact {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r, err := share.ParseRecipient(id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	return share.ContactFromKey(name, r, time.Unix(0, 0))
}

func TestPlanPublish(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	bob, carol, dave := testContact(t, "bob"), testContact(t, "carol"), testContact(t, "dave")
	contacts := []share.Contact{bob, carol, dave}
	st := &State{Members: []Member{
		{Name: "bob", Pinned: bob.Key}, {Name: "carol", Pinned: carol.Key, RemovedAt: now},
	}}
	access := func(c share.Contact, p secret.Permission) secret.Access {
		return secret.Access{Name: c.Name, Recipient: c.Key, Permission: p, GrantedAt: now}
	}
	mine := &secret.Record{UID: "u1", Name: "mine", Revision: 2, Permission: secret.PermOwner,
		Access: []secret.Access{access(bob, secret.PermEdit), access(carol, secret.PermView), access(dave, secret.PermView)}}
	private := &secret.Record{UID: "u2", Name: "private", Revision: 1, Permission: secret.PermOwner}
	edited := &secret.Record{UID: "u3", Name: "edited", Revision: 5, SyncedRevision: 4, Permission: secret.PermEdit, Owner: "bob", OwnerKey: bob.Key}
	viewed := &secret.Record{UID: "u4", Name: "viewed", Revision: 5, SyncedRevision: 4, Permission: secret.PermView, Owner: "bob", OwnerKey: bob.Key}
	notTeam := &secret.Record{UID: "u5", Name: "by-file", Revision: 5, SyncedRevision: 4, Permission: secret.PermEdit, Owner: "bob", OwnerKey: bob.Key}
	st.Share("u1")
	st.Accept("u3", 4)
	st.Accept("u4", 4)

	files := map[string]bool{}
	present := func(p string) bool { return files[p] }
	got := PlanPublish([]*secret.Record{mine, private, edited, viewed, notTeam}, st, contacts, present)
	if len(got) != 2 {
		t.Fatalf("PlanPublish returned %d publications, want 2 (mine, edited): %+v", len(got), got)
	}
	// Carol was removed and Dave is no member: only Bob gets "mine".
	if p := got[0]; p.Record != mine || p.Edit || len(p.To) != 1 || p.To[0].Name != "bob" {
		t.Errorf("mine: %+v", p)
	}
	if p := got[1]; p.Record != edited || !p.Edit || len(p.To) != 1 || p.To[0].Name != "bob" {
		t.Errorf("edited: %+v", p)
	}

	// Published as it is: nothing more to do, until the access list or the
	// revision changes.
	st.SetPublished("u1", got[0].Key, "records/u1/2-x.bundle")
	files["records/u1/2-x.bundle"] = true
	edited.SyncedRevision = edited.Revision
	if got := PlanPublish([]*secret.Record{mine, edited}, st, contacts, present); len(got) != 0 {
		t.Fatalf("after publishing: %+v", got)
	}
	// The file vanished from the repository: published again.
	delete(files, "records/u1/2-x.bundle")
	if got := PlanPublish([]*secret.Record{mine}, st, contacts, present); len(got) != 1 {
		t.Fatalf("after the file vanished: %+v", got)
	}
	files["records/u1/2-x.bundle"] = true
	mine.Access[0].RevokedAt = now
	if got := PlanPublish([]*secret.Record{mine}, st, contacts, present); len(got) != 1 || len(got[0].To) != 0 {
		t.Fatalf("after revoking Bob: %+v", got)
	}
}

func TestRecipientsPostQuantumOnlyWhenAll(t *testing.T) {
	bob := testContact(t, "bob")
	self, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Recipients([]share.Contact{bob}, "alice", self.Recipient().String(), pq.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].PostQuantum() || rs[1].PostQuantum() || rs[1].Name != "alice" {
		t.Fatalf("a member without a post-quantum key: %v", rs)
	}
	if _, err := share.CheckRecipients(rs); err != nil {
		t.Fatal(err)
	}
}
