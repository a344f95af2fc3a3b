package share

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

func TestDecideRecord(t *testing.T) {
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	carol, dave := newX25519Person(t, "carol"), newX25519Person(t, "dave")
	lastUsed := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	aliceC := &Contact{Name: "alice", Key: alice.key, Signing: FormatSigningKey(alice.signing.Public().(ed25519.PublicKey)), Card: true}
	aliceNoSigning := &Contact{Name: "alice", Key: alice.key}
	bobC := &Contact{Name: "bob", Key: bob.key, Signing: FormatSigningKey(bob.signing.Public().(ed25519.PublicKey)), Card: true}
	daveC := &Contact{Name: "dave", Key: dave.key, Signing: FormatSigningKey(dave.signing.Public().(ed25519.PublicKey)), Card: true}
	signedBy := func(r Record, p person) Record {
		r.OwnerSigner = FormatSigningKey(p.signing.Public().(ed25519.PublicKey))
		return r
	}

	// incoming returns Alice's record at revision rev, shared with Bob
	// (edit) and Carol (view), owner-signed by signer (nobody when nil).
	incoming := func(rev uint64, changed bool, signer *person) Record {
		r := testRecord(alice, uid1, "payments")
		r.Tags = []string{"billing", "prod"}
		r.Revision = rev
		r = withAccess(r, secret.PermEdit, bob)
		r = withAccess(r, secret.PermView, carol)
		if changed {
			r.ClientSecret.Value = secret.NewValue("rotated")
		}
		if signer != nil {
			r = signedBy(r, *signer)
		}
		return r
	}
	// carolsCopy is Carol's verified copy of Alice's record, synced at
	// revision 3 and changed locally up to revision rev.
	carolsCopy := func(rev uint64) *secret.Record {
		r := verifiedRecord(incoming(3, false, nil), secret.PermView)
		r.ID, r.LastUsedAt = "00112233aabbccdd", lastUsed
		r.Revision, r.SyncedRevision = rev, 3
		if rev > 3 {
			r.Notes = "carol's local note"
		}
		return r
	}
	squatted := func() *secret.Record {
		r := incoming(1000000, true, nil)
		r.Owner, r.OwnerKey = "mallory", dave.key
		s := unverifiedRecord(r)
		s.ID = "00112233aabbccdd"
		return s
	}
	// alicesOwn is Alice's own record, shared at revision 3, changed locally
	// up to revision rev.
	alicesOwn := func(rev uint64) *secret.Record {
		r := carolsCopy(rev)
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
	// An editor's change on its way to the owner carries no owner
	// signature.
	bobsEdit := func(rev uint64) Record { return incoming(rev, true, nil) }
	// bobsEditTo is Bob's change that also sets the token URL and auth.
	bobsEditTo := func(tokenURL, auth string) Record {
		r := bobsEdit(4)
		r.TokenURL, r.TokenAuth = tokenURL, auth
		return r
	}
	withTokenURL := func(r *secret.Record, u string) *secret.Record {
		r.TokenURL = u
		return r
	}

	carolSelf := []string{carol.key}
	aliceSelf := []string{alice.key}
	tests := []struct {
		name   string
		local  *secret.Record
		in     Incoming
		action Action
		reason string
		check  func(t *testing.T, r *secret.Record)
	}{
		// Carol imports from Alice.
		{"new, owner-signed", nil, Incoming{Record: incoming(3, false, &alice), Owner: aliceC, Self: carolSelf}, ActionAdd, "view permission",
			func(t *testing.T, r *secret.Record) {
				if r.Permission != secret.PermView || r.OwnerUnverified || r.Owner != "alice" || r.SyncedRevision != 3 || len(r.Access) != 3 {
					t.Errorf("stored %+v", r)
				}
			}},
		{"new, permission from the signed access list", nil, Incoming{Record: incoming(3, false, &alice), Owner: aliceC, Self: []string{bob.key}}, ActionAdd, "edit permission", nil},
		{"new, owner did not list me", nil, Incoming{Record: incoming(3, false, &alice), Owner: aliceC, Self: []string{dave.key}}, ActionRefuse, "did not share it with you", nil},
		{"new, from an owner who is not a contact", nil, Incoming{Record: incoming(3, false, &alice), Self: carolSelf}, ActionAdd, "nothing verified",
			func(t *testing.T, r *secret.Record) {
				if !r.OwnerUnverified || r.Owner != "alice (unverified)" || r.Permission != secret.PermView || r.Access[0].Name != "alice (unverified)" {
					t.Errorf("stored %+v", r)
				}
			}},
		// Forged owner label: Dave signs a record that names Alice, a
		// contact, as its owner.
		{"new, names a contact as owner, signed by another", nil, Incoming{Record: signedBy(incoming(3, false, nil), dave), Owner: aliceC, Sender: daveC, Self: carolSelf}, ActionRefuse, "not signed by them", nil},
		{"new, names a contact as owner, unsigned", nil, Incoming{Record: incoming(3, false, nil), Owner: aliceC, Sender: daveC, Self: carolSelf}, ActionRefuse, "not signed by them", nil},
		{"new, names a contact whose signing key is unknown", nil, Incoming{Record: incoming(3, false, &alice), Owner: aliceNoSigning, Self: carolSelf}, ActionRefuse, "add their contact card", nil},
		{"new, claims to be mine", nil, Incoming{Record: incoming(3, false, nil), Self: aliceSelf}, ActionRefuse, "says you own it", nil},

		{"same revision, same content", carolsCopy(3), Incoming{Record: incoming(3, false, &alice), Owner: aliceC, Self: carolSelf}, ActionUnchanged, "up to date", nil},
		{"newer, owner-signed", carolsCopy(3), Incoming{Record: incoming(4, true, &alice), Owner: aliceC, Self: carolSelf}, ActionUpdate, "updated to revision 4",
			func(t *testing.T, r *secret.Record) {
				if r.ID != "00112233aabbccdd" || !r.LastUsedAt.Equal(lastUsed) || r.ClientSecret.Reveal() != "rotated" || r.Revision != 4 || r.SyncedRevision != 4 {
					t.Errorf("stored %+v", r)
				}
			}},
		{"older, owner-signed", carolsCopy(3), Incoming{Record: incoming(2, true, &alice), Owner: aliceC, Self: carolSelf}, ActionUnchanged, "already has revision 3", nil},
		{"newer, but changed here too", carolsCopy(4), Incoming{Record: incoming(4, true, &alice), Owner: aliceC, Self: carolSelf}, ActionConflict, "changed both here", nil},
		{"owner revoked me", carolsCopy(3), Incoming{Record: withoutAccess(incoming(4, true, nil), carol, alice), Owner: aliceC, Self: carolSelf}, ActionRefuse, "no longer lists you", nil},
		{"permission raised at the same revision", carolsCopy(3), Incoming{Record: regrant(incoming(3, false, nil), carol, secret.PermEdit, testNow(), alice), Owner: aliceC, Self: carolSelf}, ActionUpdate, "from view to edit", nil},
		{"older grant at the same revision", regrantLocal(carolsCopy(3), carol, secret.PermEdit, testNow()), Incoming{Record: incoming(3, false, &alice), Owner: aliceC, Self: carolSelf}, ActionUnchanged, "an older bundle", nil},

		// Forged edit: Dave (or Bob, who has edit) signs a change to
		// Alice's record himself.
		{"change signed by a holder, not the owner", carolsCopy(3), Incoming{Record: signedBy(incoming(5, true, nil), dave), Owner: aliceC, Sender: daveC, Self: carolSelf}, ActionRefuse, "not signed by them", nil},
		{"change by an editor, sent to a holder", carolsCopy(3), Incoming{Record: bobsEdit(5), Owner: aliceC, Sender: bobC, Self: carolSelf}, ActionRefuse, "not signed by them", nil},

		// Id squatting: a record that arrived unverified with a huge
		// revision is replaced by the owner's signed revision.
		{"owner-signed replaces an unverified squatter", squatted(), Incoming{Record: incoming(2, false, &alice), Owner: aliceC, Self: carolSelf}, ActionUpdate, "signed by its owner",
			func(t *testing.T, r *secret.Record) {
				if r.OwnerUnverified || r.OwnerKey != alice.key || r.Revision != 2 || r.ID != "00112233aabbccdd" || r.ClientSecret.Reveal() != "s3cr3t-payments" {
					t.Errorf("stored %+v", r)
				}
			}},
		{"unverified does not change a verified record", carolsCopy(3), Incoming{Record: incoming(9, true, nil), Self: carolSelf}, ActionRefuse, "only be changed by its owner", nil},
		{"unverified may update an unverified record of the same owner", squatted(), Incoming{Record: func() Record {
			r := incoming(1000001, false, nil)
			r.Owner, r.OwnerKey = "mallory", dave.key
			return r
		}(), Self: carolSelf}, ActionUpdate, "owner still unverified", nil},
		{"unverified claim of another owner", squatted(), Incoming{Record: incoming(1000001, false, nil), Self: carolSelf}, ActionRefuse, "bundle says", nil},

		// Alice imports Bob's change to her own record.
		{"editor's change", alicesOwn(3), Incoming{Record: bobsEdit(4), Sender: bobC, Self: aliceSelf}, ActionUpdate, "share it again",
			func(t *testing.T, r *secret.Record) {
				if !r.Mine() || r.Revision != 4 || r.SyncedRevision != 3 || r.ClientSecret.Reveal() != "rotated" || len(r.Access) != 3 {
					t.Errorf("stored %+v", r)
				}
			}},
		{"editor's change, owner changed too", alicesOwn(4), Incoming{Record: bobsEdit(4), Sender: bobC, Self: aliceSelf}, ActionConflict, "changed both here", nil},
		{"editor's change from an old revision", alicesOwn(3), Incoming{Record: bobsEdit(3), Sender: bobC, Self: aliceSelf}, ActionConflict, "older than 3", nil},
		{"view-holder's change", alicesOwn(3), Incoming{Record: bobsEdit(4), Sender: &Contact{Name: "carol", Key: carol.key, Card: true}, Self: aliceSelf}, ActionRefuse, "no edit access", nil},
		{"revoked editor's change", alicesOwn(3), Incoming{Record: bobsEdit(4), Sender: daveC, Self: aliceSelf}, ActionRefuse, "no edit access", nil},
		{"change from a stranger", alicesOwn(3), Incoming{Record: bobsEdit(4), Self: aliceSelf}, ActionRefuse, "no edit access", nil},

		// Where the client secret goes is the owner's alone to change: an
		// editor who plants a token endpoint of their own would receive the
		// secret at the next `mysafe token`, also after it is rotated.
		{"editor plants a token URL on another server", alicesOwn(3), Incoming{Record: bobsEditTo("https://auth.evil.example/token", ""), Sender: bobC, Self: aliceSelf}, ActionRefuse,
			"bob's change to \"payments\" would send its client secret to https://auth.evil.example instead of https://api.example.com", nil},
		{"editor moves the token URL", withTokenURL(alicesOwn(3), "https://auth.example.com/oauth2/token"), Incoming{Record: bobsEditTo("https://auth.example.com.evil.example/oauth2/token", ""), Sender: bobC, Self: aliceSelf}, ActionRefuse,
			"instead of https://auth.example.com;", nil},
		{"editor moves the token URL to another port", withTokenURL(alicesOwn(3), "https://auth.example.com/oauth2/token"), Incoming{Record: bobsEditTo("https://auth.example.com:8443/oauth2/token", ""), Sender: bobC, Self: aliceSelf}, ActionRefuse,
			"to https://auth.example.com:8443 instead", nil},
		{"editor moves the token URL to plain http", withTokenURL(alicesOwn(3), "https://auth.example.com/oauth2/token"), Incoming{Record: bobsEditTo("http://auth.example.com/oauth2/token", ""), Sender: bobC, Self: aliceSelf}, ActionRefuse,
			"to http://auth.example.com instead", nil},
		{"editor moves the URL, the endpoint without a token URL", alicesOwn(3), Incoming{Record: func() Record {
			r := bobsEdit(4)
			r.URL = "https://api.evil.example/v1"
			return r
		}(), Sender: bobC, Self: aliceSelf}, ActionRefuse, "to https://api.evil.example instead", nil},
		{"editor drops the token URL, leaving the URL's server", withTokenURL(alicesOwn(3), "https://auth.example.com/oauth2/token"), Incoming{Record: bobsEditTo("", ""), Sender: bobC, Self: aliceSelf}, ActionRefuse,
			"to https://api.example.com instead of https://auth.example.com", nil},
		{"editor plants a token URL, owner changed too", alicesOwn(4), Incoming{Record: bobsEditTo("https://auth.evil.example/token", ""), Sender: bobC, Self: aliceSelf}, ActionRefuse, "only you can change where it goes", nil},
		{"editor changes the token URL's path on the same server", withTokenURL(alicesOwn(3), "https://auth.example.com/oauth2/token"), Incoming{Record: bobsEditTo("https://AUTH.example.com:443/v2/oauth2/token", "form"), Sender: bobC, Self: aliceSelf}, ActionUpdate, "share it again",
			func(t *testing.T, r *secret.Record) {
				if r.TokenURL != "https://AUTH.example.com:443/v2/oauth2/token" || r.TokenAuth != "form" {
					t.Errorf("token URL %q, auth %q", r.TokenURL, r.TokenAuth)
				}
			}},
		{"editor adds a token URL on the URL's server", alicesOwn(3), Incoming{Record: bobsEditTo("https://api.example.com/oauth2/token", ""), Sender: bobC, Self: aliceSelf}, ActionUpdate, "share it again", nil},
		{"owner moves the token URL", withTokenURL(carolsCopy(3), "https://auth.example.com/oauth2/token"), Incoming{Record: func() Record {
			r := incoming(4, false, nil)
			r.TokenURL, r.TokenAuth = "https://login.example.net/token", "form"
			return signedBy(r, alice)
		}(), Owner: aliceC, Self: carolSelf}, ActionUpdate, "updated to revision 4",
			func(t *testing.T, r *secret.Record) {
				if r.TokenURL != "https://login.example.net/token" || r.TokenAuth != "form" {
					t.Errorf("token URL %q, auth %q", r.TokenURL, r.TokenAuth)
				}
			}},
		{"own record claimed by another", alicesOwn(3), Incoming{Record: func() Record {
			r := bobsEdit(4)
			r.Owner, r.OwnerKey = "bob", bob.key
			return r
		}(), Owner: bobC, Sender: bobC, Self: aliceSelf}, ActionRefuse, "not signed by them", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before []byte
			if tt.local != nil {
				before, _ = tt.local.MarshalBinary()
			}
			d := DecideRecord(tt.local, tt.in)
			if d.Action != tt.action || !strings.Contains(d.Reason, tt.reason) {
				t.Fatalf("got %v %q, want %v mentioning %q", d.Action, d.Reason, tt.action, tt.reason)
			}
			if (d.Record != nil) != (d.Action == ActionAdd || d.Action == ActionUpdate || d.Action == ActionConflict) {
				t.Errorf("Record = %v for %v", d.Record, d.Action)
			}
			if (d.Err() != nil) != (d.Action == ActionConflict || d.Action == ActionRefuse) {
				t.Errorf("Err() = %v for %v", d.Err(), d.Action)
			}
			if tt.local != nil {
				after, _ := tt.local.MarshalBinary()
				if !bytes.Equal(before, after) {
					t.Error("DecideRecord modified the local record")
				}
			}
			if tt.check != nil {
				tt.check(t, d.Record)
			}
		})
	}
}

// withoutAccess returns r without p's access entry, owner-signed by signer.
func withoutAccess(r Record, p, signer person) Record {
	r.Access = slices.DeleteFunc(slices.Clone(r.Access), func(a Access) bool { return a.Recipient == p.key })
	r.OwnerSigner = FormatSigningKey(signer.signing.Public().(ed25519.PublicKey))
	return r
}

// regrant returns r with p's permission changed at time at, owner-signed
// by signer.
func regrant(r Record, p person, perm secret.Permission, at time.Time, signer person) Record {
	r.Access = slices.Clone(r.Access)
	for i := range r.Access {
		if r.Access[i].Recipient == p.key {
			r.Access[i].Permission, r.Access[i].GrantedAt = perm, at
		}
	}
	r.OwnerSigner = FormatSigningKey(signer.signing.Public().(ed25519.PublicKey))
	return r
}

func regrantLocal(r *secret.Record, p person, perm secret.Permission, at time.Time) *secret.Record {
	for i := range r.Access {
		if r.Access[i].Recipient == p.key {
			r.Access[i].Permission, r.Access[i].GrantedAt = perm, at
		}
	}
	r.Permission = perm
	return r
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
