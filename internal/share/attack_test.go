package share

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
)

// The attacks below are built the way an attacker would build them: a
// person with a vault of their own (a contact, or a stranger) who writes and
// signs their own bundle with their own key, choosing every claim in it.
// Each goes through the whole import path (Open, IdentifySender,
// PlanImport) and must be refused as a whole, so nothing is stored.

// user is a mysafe user with a full set of keys and a card.
type user struct {
	name    string
	x       *age.X25519Identity
	pq      *age.HybridIdentity
	signing ed25519.PrivateKey
	card    Card
}

func newUser(t testing.TB, name string) *user {
	t.Helper()
	x, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	u := &user{name: name, x: x, pq: pq, signing: newSigningKey(t)}
	line, err := MakeCard(x.Recipient().String(), pq.Recipient().String(), u.signing)
	if err != nil {
		t.Fatal(err)
	}
	if u.card, err = ParseCard(line); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u *user) key() string      { return u.x.Recipient().String() }
func (u *user) self() []string   { return []string{u.key(), u.pq.Recipient().String()} }
func (u *user) contact() Contact { return ContactFromCard(u.name, u.card, testNow()) }
func (u *user) sender() Sender {
	return Sender{Name: u.name, Recipient: u.key(), PQRecipient: u.pq.Recipient().String()}
}
func (u *user) recipient(t testing.TB) Recipient {
	t.Helper()
	r, err := ParseRecipient(u.key())
	if err != nil {
		t.Fatal(err)
	}
	r.Name = u.name
	return r
}

// record returns a record owned by u at revision rev, shared with view.
func (u *user) record(rev uint64, viewers ...*user) Record {
	r := Record{
		UID: uid1, Revision: rev, Owner: u.name, OwnerKey: u.key(),
		Portable: secret.Portable{Name: "payments", URL: "https://pay.example/v2", ClientID: "pay-app",
			ClientSecret: secret.Clear{Value: secret.NewValue("s3cr3t-genuine")}, Identifier: "payments-prod",
			CreatedAt: testNow().Add(-48 * 1e9 * 3600), UpdatedAt: testNow().Add(-1e9 * 3600)},
	}
	for _, v := range viewers {
		r.Access = append(r.Access, Access{Name: v.name, Recipient: v.key(), Permission: secret.PermView, GrantedAt: testNow().Add(-1e9 * 3600)})
	}
	return r
}

// bundle is what u builds with mysafe's own code and their own key.
func (u *user) bundle(t testing.TB, s Sender, to []*user, recs ...Record) []byte {
	t.Helper()
	p := NewPayload(testNow(), s, recs)
	var rs []Recipient
	for _, r := range to {
		rs = append(rs, r.recipient(t))
	}
	b, err := Build(p, u.signing, rs, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// importInto runs the whole import path for victim and returns the plan,
// or the error that stopped it before planning.
func importInto(t testing.TB, victim *user, data []byte, contacts []Contact, records []*secret.Record, trust string) (*ImportPlan, error) {
	t.Helper()
	o, err := Open(data, []age.Identity{victim.x, victim.pq}, testNow(), OpenOptions{})
	if err != nil {
		return nil, err
	}
	sender, err := IdentifySender(o, contacts, trust)
	if err != nil {
		return nil, err
	}
	plan := PlanImport(o, sender, VaultState{Self: victim.self(), Contacts: contacts, Records: records}, ResolveNone)
	return plan, plan.Err()
}

func contactsOf(us ...*user) []Contact {
	var cs []Contact
	for _, u := range us {
		cs, _ = AddContact(cs, u.contact())
	}
	return cs
}

// mustRefuse checks that err refuses the import with want, and that a
// plan, if any, stores nothing.
func mustRefuse(t *testing.T, plan *ImportPlan, err, want error, mention string) {
	t.Helper()
	if !errors.Is(err, want) || !strings.Contains(err.Error(), mention) {
		t.Fatalf("err = %v, want %v mentioning %q", err, want, mention)
	}
	t.Log(err)
}

// Dave holds Bob's record with view permission. He signs an "edit" with his
// own key and names Eve's post-quantum key, Eve having edit access, as his
// second key. Bob's vault refuses the bundle: its two sender keys are not
// in one card.
func TestAttackForgedEditByViewHolder(t *testing.T) {
	bob, dave, eve := newUser(t, "bob"), newUser(t, "dave"), newUser(t, "eve")
	own := bob.record(3, dave).Secret()
	own.Owner, own.OwnerKey, own.Permission = "", "", secret.PermOwner
	own.Access = []secret.Access{
		{Name: "dave", Recipient: dave.key(), Permission: secret.PermView},
		{Name: "eve", Recipient: eve.key(), Permission: secret.PermEdit},
	}
	forged := bob.record(4, dave)
	forged.ClientSecret.Value = secret.NewValue("attacker-secret")
	s := dave.sender()
	s.PQRecipient = eve.pq.Recipient().String()
	data := dave.bundle(t, s, []*user{bob}, forged)
	plan, err := importInto(t, bob, data, contactsOf(dave, eve), []*secret.Record{own}, "")
	mustRefuse(t, plan, err, ErrSender, "names a key of contact eve")
	// Eve unknown to Bob: still not a key of Dave's card.
	plan, err = importInto(t, bob, data, contactsOf(dave), []*secret.Record{own}, "")
	mustRefuse(t, plan, err, ErrSender, "not in their card")

	// Without the trick, his own bundle is just a view-holder's change.
	data = dave.bundle(t, dave.sender(), []*user{bob}, forged)
	plan, err = importInto(t, bob, data, contactsOf(dave, eve), []*secret.Record{own}, "")
	mustRefuse(t, plan, err, ErrNotPermitted, "no edit access")
}

// Eve has edit access to Bob's record, which has a token URL. She writes
// and signs a bundle of her own that moves the token endpoint to her server
// and sends it to Bob. His vault refuses it: only the owner decides where
// the client secret is sent, so Bob's next `mysafe token`, after he rotates
// the secret, cannot hand it to Eve. The same record with only a new path
// on Bob's server is an ordinary change he takes.
func TestAttackEditorPlantsTokenURL(t *testing.T) {
	bob, eve := newUser(t, "bob"), newUser(t, "eve")
	own := bob.record(3).Secret()
	own.Owner, own.OwnerKey, own.Permission = "", "", secret.PermOwner
	own.TokenURL = "https://auth.pay.example/oauth2/token"
	own.SyncedRevision = 3
	own.Access = []secret.Access{{Name: "eve", Recipient: eve.key(), Permission: secret.PermEdit}}

	for _, planted := range []struct{ tokenURL, url string }{
		{"https://auth.eve.example/oauth2/token", own.URL},
		{"https://auth.pay.example.eve.example/oauth2/token", own.URL},
		{"https://auth.pay.example:8443/oauth2/token", own.URL},
		{"http://auth.pay.example/oauth2/token", own.URL},
		{"", "https://auth.eve.example/v2"}, // no token URL: the URL is the endpoint
	} {
		edit := bob.record(4)
		edit.TokenURL, edit.URL = planted.tokenURL, planted.url
		data := eve.bundle(t, eve.sender(), []*user{bob}, edit)
		plan, err := importInto(t, bob, data, contactsOf(eve), []*secret.Record{own}, "")
		mustRefuse(t, plan, err, ErrNotPermitted, "would send its client secret to")
	}

	edit := bob.record(4)
	edit.TokenURL = "https://auth.pay.example/v2/token"
	data := eve.bundle(t, eve.sender(), []*user{bob}, edit)
	plan, err := importInto(t, bob, data, contactsOf(eve), []*secret.Record{own}, "")
	if err != nil || len(plan.Steps) != 1 || plan.Steps[0].Action != ActionUpdate || plan.Steps[0].Record.TokenURL != edit.TokenURL {
		t.Fatalf("a new path on the same server: %v", err)
	}
}

// Dave writes a record that names Bob as its owner and sends it to Carol,
// who knows Bob: it is refused, since Bob did not sign it, whether Dave
// signs it as owner himself or leaves it unsigned.
func TestAttackForgedOwnerLabel(t *testing.T) {
	bob, carol, dave := newUser(t, "bob"), newUser(t, "carol"), newUser(t, "dave")
	forged := bob.record(2, carol)
	data := dave.bundle(t, dave.sender(), []*user{carol}, forged) // not owner-signed: Dave is not the owner
	plan, err := importInto(t, carol, data, contactsOf(bob, dave), nil, "")
	mustRefuse(t, plan, err, ErrNotPermitted, "not signed by them")

	// Dave claims Bob's key as his own sending key, so that Build signs the
	// record as its "owner" with Dave's key.
	s := dave.sender()
	s.Recipient, s.PQRecipient = bob.key(), ""
	data = dave.bundle(t, s, []*user{carol}, forged)
	plan, err = importInto(t, carol, data, contactsOf(bob, dave), nil, "")
	mustRefuse(t, plan, err, ErrSender, "names a key of contact bob")
	// Even when Carol does not know Dave.
	plan, err = importInto(t, carol, data, contactsOf(bob), nil, "")
	mustRefuse(t, plan, err, ErrSender, "contact bob")
}

// Dave, a co-recipient, delivers Bob's record id first with revision
// 1000000. It arrives unverified; Bob's genuine revision 2, signed by him,
// replaces it once Carol has Bob's card, and the huge revision counts for
// nothing.
func TestAttackIDSquatting(t *testing.T) {
	bob, carol, dave := newUser(t, "bob"), newUser(t, "carol"), newUser(t, "dave")
	squat := bob.record(1000000, carol)
	squat.ClientSecret.Value = secret.NewValue("attacker-secret")
	// Carol knows Bob: the squatter is refused outright.
	plan, err := importInto(t, carol, dave.bundle(t, dave.sender(), []*user{carol}, squat), contactsOf(bob), nil, "")
	mustRefuse(t, plan, err, ErrNotPermitted, "not signed by them")

	// Carol does not know Bob yet: it is stored, marked unverified.
	plan, err = importInto(t, carol, dave.bundle(t, dave.sender(), []*user{carol}, squat), nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	stored := plan.Steps[0].Record
	stored.ID = "0011223344556677"
	if !stored.OwnerUnverified || stored.Revision != 1000000 {
		t.Fatalf("squatted record stored as %+v", stored)
	}
	// Bob's revision 2, signed by Bob, after Carol adds his card.
	plan, err = importInto(t, carol, bob.bundle(t, bob.sender(), []*user{carol}, bob.record(2, carol)), contactsOf(bob), []*secret.Record{stored}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := plan.Steps[0]
	if got.Action != ActionUpdate || got.Record.OwnerUnverified || got.Record.Revision != 2 || got.Record.ClientSecret.Reveal() != "s3cr3t-genuine" || got.Record.ID != stored.ID {
		t.Fatalf("genuine revision: %v %q %+v", got.Action, got.Reason, got.Record)
	}
}

// Mallory makes a bundle that names Alice's public age key as his own and
// signs it with his key. Carol has Alice as a contact without a signing
// key: the key is never pinned without the fingerprint Carol checked, and
// a wrong fingerprint is refused. With Alice's card, it is refused outright.
// A signing key already pinned to one contact cannot be pinned to another.
func TestAttackSigningKeyHijack(t *testing.T) {
	alice, carol, mallory := newUser(t, "alice"), newUser(t, "carol"), newUser(t, "mallory")
	s := mallory.sender()
	s.Name, s.Recipient, s.PQRecipient = "alice", alice.key(), ""
	data := mallory.bundle(t, s, []*user{carol}, mallory.record(1, carol))
	aliceRec, _ := ParseRecipient(alice.key())
	plainAlice := ContactFromKey("alice", aliceRec, testNow())

	_, err := importInto(t, carol, data, []Contact{plainAlice}, nil, "")
	mustRefuse(t, nil, err, ErrUnknownSigningKey, "--trust-signing-key")
	_, err = importInto(t, carol, data, []Contact{plainAlice}, nil, alice.card.Fingerprint())
	mustRefuse(t, nil, err, ErrSender, "not by "+alice.card.Fingerprint())
	_, err = importInto(t, carol, data, contactsOf(alice), nil, "")
	mustRefuse(t, nil, err, ErrSender, "not by their signing key")

	// Mallory is Carol's contact too, with his card: his key cannot become
	// Alice's.
	_, err = importInto(t, carol, data, append(contactsOf(mallory), plainAlice), nil, "")
	mustRefuse(t, nil, err, ErrSender, "names a key of contact alice")
	// And a contact cannot be added with a signing key another one has.
	other := mallory.contact()
	other.Name, other.Key, other.PQ = "alice2", alice.key(), ""
	if _, err := AddContact(contactsOf(mallory), other); !errors.Is(err, ErrContactConflict) {
		t.Errorf("second contact with Mallory's signing key: %v", err)
	}
}

// Signed JSON that reads two ways: a view permission for a person reading
// it with jq (who sees the first member) and edit for a decoder that keeps
// the last one or matches names case-insensitively. Dave signs it himself.
func TestAttackDuplicateMembers(t *testing.T) {
	bob, dave := newUser(t, "bob"), newUser(t, "dave")
	raw := rawBundlePayload(t, dave, bob, dave.record(1, bob))
	for name, edit := range map[string]func([]byte) []byte{
		"duplicate": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"permission":"view"`), []byte(`"permission":"view","permission":"edit"`), 1)
		},
		"case variant": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"permission":"view"`), []byte(`"permission":"view","Permission":"edit"`), 1)
		},
		"unknown member": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"permission":"view"`), []byte(`"permission":"view","role":"admin"`), 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			changed := edit(unsignRecords(raw))
			if bytes.Equal(changed, unsignRecords(raw)) {
				t.Fatal("edit did not apply")
			}
			data := sealSigned(t, changed, dave.signing, bob)
			_, err := importInto(t, bob, data, contactsOf(dave), nil, "")
			mustRefuse(t, nil, err, ErrMalformed, "")
		})
	}
}

// An identifier that looks like one in the vault (Cyrillic "а", full-width
// letters, another case) is refused, naming both; a name that collides is
// kept with its sender, so the local name keeps resolving.
func TestAttackLookalikes(t *testing.T) {
	bob, dave := newUser(t, "bob"), newUser(t, "dave")
	mine := &secret.Record{ID: "0011223344556677", UID: uid2, Name: "payments", Identifier: "payments", Permission: secret.PermOwner, Revision: 1}
	for _, ident := range []string{"pаyments", "PAYMENTS", "ｐａｙｍｅｎｔｓ", "payments"} {
		t.Run(ident, func(t *testing.T) {
			rec := dave.record(1, bob)
			rec.Identifier = ident
			plan, err := importInto(t, bob, dave.bundle(t, dave.sender(), []*user{bob}, rec), contactsOf(dave), []*secret.Record{mine}, "")
			mustRefuse(t, plan, err, ErrNotPermitted, `looks like "payments", the identifier of "payments" in your vault; ask dave`)
		})
	}
	rec := dave.record(1, bob)
	rec.Name, rec.Identifier = "pаyments", "dave-payments"
	plan, err := importInto(t, bob, dave.bundle(t, dave.sender(), []*user{bob}, rec), contactsOf(dave), []*secret.Record{mine}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Steps[0].Record.Name; got != "pаyments (from dave)" {
		t.Errorf("colliding name stored as %q", got)
	}
}

// A bundle far over the size limits is refused before the costly work: a
// file larger than MaxBundleSize before decryption, 150,000 tags while
// parsing, before any validation.
func TestAttackOversized(t *testing.T) {
	bob, dave := newUser(t, "bob"), newUser(t, "dave")
	_, err := importInto(t, bob, make([]byte, MaxBundleSize+1), nil, nil, "")
	mustRefuse(t, nil, err, ErrMalformed, "larger than")
	raw := unsignRecords(rawBundlePayload(t, dave, bob, dave.record(1, bob)))
	tags := `"tags":[` + strings.TrimSuffix(strings.Repeat(`"t",`, 150000), ",") + `]`
	data := sealSigned(t, bytes.Replace(raw, []byte(`"tags":[]`), []byte(tags), 1), dave.signing, bob)
	_, err = importInto(t, bob, data, contactsOf(dave), nil, "")
	mustRefuse(t, nil, err, ErrMalformed, "more than 64 entries")
}

// rawBundlePayload returns the payload bytes sender's Build would sign.
func rawBundlePayload(t testing.TB, sender, to *user, recs ...Record) []byte {
	t.Helper()
	p := NewPayload(testNow(), sender.sender(), recs)
	p.Sender.SigningKey = FormatSigningKey(sender.signing.Public().(ed25519.PublicKey))
	p.Recipients = []Party{{Name: to.name, Recipient: to.key()}}
	if err := p.validate(); err != nil {
		t.Fatal(err)
	}
	raw, err := marshalPayload(&p, sender.signing)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// unsignRecords drops the owner signatures, which an edited record would
// no longer match; the attacker then signs only the bundle.
func unsignRecords(raw []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if i := bytes.Index(line, []byte(`, "record": `)); bytes.HasPrefix(line, []byte(`    {"owner_signature": `)) && i > 0 {
			line = append([]byte(`    {`), line[i+2:]...)
		}
		out = append(out, line)
	}
	return bytes.Join(out, []byte("\n"))
}

func sealSigned(t testing.TB, raw []byte, signer ed25519.PrivateKey, to *user) []byte {
	t.Helper()
	sig, err := signSSHSIG(signer, SignatureNamespace, raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := seal(makeEnvelope(raw, sig), []age.Recipient{to.x.Recipient()}, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// OpenFrom accepts only what one contact signed, as owner, themselves.
func TestOpenFrom(t *testing.T) {
	bob, carol, dave := newUser(t, "bob"), newUser(t, "carol"), newUser(t, "dave")
	ids := []age.Identity{carol.x, carol.pq}
	good := bob.bundle(t, bob.sender(), []*user{carol}, bob.record(1, carol))
	if o, err := OpenFrom(good, ids, bob.contact(), testNow(), OpenOptions{}); err != nil || len(o.Payload.Records) != 1 {
		t.Fatalf("bob's own bundle: %v", err)
	}
	if _, err := OpenFrom(good, ids, dave.contact(), testNow(), OpenOptions{}); !errors.Is(err, ErrSender) {
		t.Errorf("bob's bundle checked against dave: %v", err)
	}
	// Dave delivers a record naming Bob as owner, unsigned by Bob.
	relay := dave.bundle(t, dave.sender(), []*user{carol}, bob.record(1, carol))
	if _, err := OpenFrom(relay, ids, dave.contact(), testNow(), OpenOptions{}); !errors.Is(err, ErrNotPermitted) {
		t.Errorf("dave relaying bob's record: %v", err)
	}
	noSigning := bob.contact()
	noSigning.Signing = ""
	if _, err := OpenFrom(good, ids, noSigning, testNow(), OpenOptions{}); !errors.Is(err, ErrSender) {
		t.Errorf("contact without a signing key: %v", err)
	}
}
