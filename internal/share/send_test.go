package share

import (
	"errors"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

func TestPlanShare(t *testing.T) {
	alice, bob, carol := newUser(t, "alice"), newUser(t, "bob"), newUser(t, "carol")
	self := Party{Name: "alice", Recipient: alice.key()}
	revokedAt := testNow().Add(-time.Hour)
	own := func(access ...secret.Access) *secret.Record {
		r := alice.record(2).Secret()
		r.Owner, r.OwnerKey, r.Permission, r.Access = "", "", secret.PermOwner, access
		return r
	}
	held := func(perm secret.Permission) *secret.Record {
		r := bob.record(2).Secret()
		r.Permission = perm
		return r
	}
	// Bob's card: bundles to him may go to his post-quantum key, but his
	// access is kept under his classic key.
	bobPQ, _ := ParseRecipient(bob.pq.Recipient().String())
	bobPQ.Name = "bob"
	contacts := contactsOf(bob, carol)

	tests := []struct {
		name    string
		rec     *secret.Record
		to      Recipient
		perm    secret.Permission
		chosen  bool
		want    error
		access  secret.Permission // bob's entry afterwards, on success
		regrant bool
	}{
		{"own, new recipient", own(), bobPQ, secret.PermView, false, nil, secret.PermView, false},
		{"own, lowering an editor unasked", own(secret.Access{Name: "bob", Recipient: bob.key(), Permission: secret.PermEdit}), bobPQ, secret.PermView, false, ErrWouldLower, "", false},
		{"own, lowering an editor as asked", own(secret.Access{Name: "bob", Recipient: bob.key(), Permission: secret.PermEdit}), bobPQ, secret.PermView, true, nil, secret.PermView, false},
		{"own, access given back", own(secret.Access{Name: "bob", Recipient: bob.key(), Permission: secret.PermEdit, RevokedAt: revokedAt}), bobPQ, secret.PermView, false, nil, secret.PermView, true},
		{"edit copy back to its owner", held(secret.PermEdit), bobPQ, secret.PermView, false, nil, "", false},
		{"edit copy to someone else", held(secret.PermEdit), carol.recipient(t), secret.PermView, false, ErrNotPermitted, "", false},
		{"view copy", held(secret.PermView), bob.recipient(t), secret.PermView, false, ErrNotPermitted, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := tt.rec.MarshalBinary()
			plan, err := PlanShare(ShareRequest{Records: []*secret.Record{tt.rec}, Recipients: []Recipient{tt.to}, Contacts: contacts,
				Self: self, Permission: tt.perm, PermissionChosen: tt.chosen, Now: testNow()})
			after, _ := tt.rec.MarshalBinary()
			if string(before) != string(after) {
				t.Error("PlanShare changed its input")
			}
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			r := plan.Records[0]
			if r.SyncedRevision != r.Revision || (len(plan.Regranted) > 0) != tt.regrant {
				t.Errorf("stored %+v, regranted %v", r, plan.Regranted)
			}
			if tt.access != "" {
				var got *secret.Access
				for i := range r.Access {
					if r.Access[i].Recipient == bob.key() {
						got = &r.Access[i]
					}
				}
				if got == nil || got.Permission != tt.access || got.Revoked() || !got.GrantedAt.Equal(testNow()) {
					t.Errorf("bob's access %+v", got)
				}
				// The signed record carries the same list.
				if p := plan.Payload[0]; len(p.Access) != 1 || p.Access[0].Recipient != bob.key() || p.OwnerKey != alice.key() {
					t.Errorf("payload record %+v", p)
				}
			}
		})
	}
}
