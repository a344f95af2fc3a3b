package share

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
)

// earlierRecord is the record of a bundle as versions before the portable
// record wrote and read it, member for member: the bytes an owner signed
// then, and the shape those versions decode.
type earlierRecord struct {
	UID          string    `json:"uid"`
	Revision     uint64    `json:"revision"`
	Owner        string    `json:"owner"`
	OwnerKey     string    `json:"owner_key"`
	Access       []Access  `json:"access"`
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
	Identifier   string    `json:"identifier"`
	Method       string    `json:"method"`
	Tags         []string  `json:"tags"`
	Notes        string    `json:"notes"`
	TokenURL     string    `json:"token_url,omitempty"`
	TokenAuth    string    `json:"token_auth,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func earlierEncoding(t *testing.T, rec Record) []byte {
	t.Helper()
	tags := rec.Tags
	if tags == nil {
		tags = []string{}
	}
	access := append([]Access{}, rec.Access...)
	for i := range access {
		access[i].GrantedAt = access[i].GrantedAt.UTC()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(earlierRecord{
		UID: rec.UID, Revision: rec.Revision, Owner: rec.Owner, OwnerKey: rec.OwnerKey, Access: access,
		Name: rec.Name, URL: rec.URL, ClientID: rec.ClientID, ClientSecret: rec.ClientSecret.Reveal(),
		Identifier: rec.Identifier, Method: rec.Method, Tags: tags, Notes: rec.Notes,
		TokenURL: rec.TokenURL, TokenAuth: rec.TokenAuth,
		CreatedAt: rec.CreatedAt.UTC(), UpdatedAt: rec.UpdatedAt.UTC(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestAttackPortableEncodingIsTheEarlierOne signs records whose content is
// made to trip an encoder (HTML characters, line and paragraph separators,
// escapes, controls, times in other zones and with nanoseconds, no tags,
// token fields set or not): the bytes the owner signs are exactly those
// earlier versions signed, so bundles made before keep verifying and
// bundles made now stay readable, field for field, by the earlier shape.
func TestAttackPortableEncodingIsTheEarlierOne(t *testing.T) {
	alice, bob := newUser(t, "alice"), newUser(t, "bob")
	zone := time.FixedZone("x", -7*3600-30*60)
	base := alice.record(3, bob)
	for _, c := range []struct {
		name string
		edit func(r *Record)
	}{
		{"plain", func(*Record) {}},
		{"html", func(r *Record) {
			r.ClientSecret = secret.Clear{Value: secret.NewValue(`<script>&"'</script>`)}
			r.Notes = "ask ops <ops@example.com> & co"
			r.URL = "https://pay.example/v2?a=1&b=<2>"
		}},
		{"separators and escapes", func(r *Record) {
			r.ClientSecret = secret.Clear{Value: secret.NewValue("a\u2028b\u2029c\\d\"e/f\tg\x00h\x1f")}
			r.Notes = "line one\nline two\u2028"
		}},
		{"non-ascii", func(r *Record) {
			r.ClientSecret = secret.Clear{Value: secret.NewValue("ключ🔑ｓｅｃｒｅｔ")}
			r.Tags = []string{"prod", "eu"}
		}},
		{"token fields", func(r *Record) {
			r.TokenURL, r.TokenAuth = "https://auth.pay.example/oauth2/token", secret.TokenAuthForm
		}},
		{"times", func(r *Record) {
			r.CreatedAt = time.Date(2029, 2, 3, 4, 5, 6, 789, zone)
			r.UpdatedAt = time.Date(2030, 2, 3, 4, 5, 6, 0, zone)
			r.Access[0].GrantedAt = time.Date(2029, 12, 31, 23, 59, 59, 1, zone)
		}},
		{"empty tags and access", func(r *Record) { r.Tags, r.Access = []string{}, nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := base
			rec.Access = append([]Access{}, base.Access...)
			c.edit(&rec)
			got, err := rec.canonical()
			if err != nil {
				t.Fatal(err)
			}
			want := earlierEncoding(t, rec)
			if !bytes.Equal(got, want) {
				t.Fatalf("the signed encoding changed:\n got %s\nwant %s", got, want)
			}
			var old earlierRecord
			if err := json.Unmarshal(got, &old); err != nil {
				t.Fatalf("the earlier shape does not read it: %v", err)
			}
			if old.ClientSecret != rec.ClientSecret.Reveal() || old.Notes != rec.Notes || old.URL != rec.URL ||
				old.TokenURL != rec.TokenURL || !old.CreatedAt.Equal(rec.CreatedAt) {
				t.Errorf("the earlier shape reads %+v", old)
			}
			back, err := decodeRecord(want)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := back.canonical(); !bytes.Equal(again, want) {
				t.Errorf("an earlier record reads back as\n%s", again)
			}
		})
	}
}

// TestAttackBinarySecretShared shares a client secret that is not UTF-8
// text (a binary key, which the vault keeps byte for byte): a bundle's
// client secret is a JSON string, so it would arrive with its bytes
// replaced by U+FFFD, a different secret, in a bundle the recipient cannot
// even open (its owner signature no longer matches). Planning the share
// refuses it, before any access is granted, and so does Build.
func TestAttackBinarySecretShared(t *testing.T) {
	alice, bob := newUser(t, "alice"), newUser(t, "bob")
	const binary = "\xff\xfe\x00key\x80"
	mine := &secret.Record{ID: "0011223344556677", UID: uid1, Name: "signing key", URL: "https://pay.example",
		ClientID: "pay", ClientSecret: secret.NewValue(binary), Permission: secret.PermOwner, Revision: 1}
	_, err := PlanShare(ShareRequest{Records: []*secret.Record{mine}, Recipients: []Recipient{bob.recipient(t)},
		Self: Party{Name: "alice", Recipient: alice.key()}, Permission: secret.PermView, Now: testNow()})
	var se *ShareError
	if !errors.As(err, &se) || !errors.Is(err, ErrNotPermitted) || !strings.Contains(err.Error(), "not UTF-8 text") {
		t.Fatalf("planning the share: %v, want a refusal", err)
	}
	if strings.Contains(err.Error(), "key\x80") {
		t.Fatal("the refusal shows the client secret")
	}
	if len(mine.Access) != 0 {
		t.Error("a refused share granted access")
	}

	rec := alice.record(1, bob)
	rec.ClientSecret = secret.Clear{Value: secret.NewValue(binary)}
	p := NewPayload(testNow(), alice.sender(), []Record{rec})
	if _, err := Build(p, alice.signing, []Recipient{bob.recipient(t)}, false); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("Build: %v, want a refusal", err)
	}
	// Text, however unusual, goes through and arrives byte for byte.
	const text = "\u00e9\u2028\x00\x7f"
	rec.ClientSecret = secret.Clear{Value: secret.NewValue(text)}
	data, err := Build(NewPayload(testNow(), alice.sender(), []Record{rec}), alice.signing, []Recipient{bob.recipient(t)}, false)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Open(data, []age.Identity{bob.x}, testNow(), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Payload.Records[0].ClientSecret.Reveal(); got != text {
		t.Fatalf("the client secret arrives as %q", got)
	}
}

// resignRecords signs every record line of raw again as its owner would,
// over the record's bytes as they now are.
func resignRecords(t *testing.T, raw []byte, owner ed25519.PrivateKey) []byte {
	t.Helper()
	var out [][]byte
	for _, line := range bytes.Split(unsignRecords(raw), []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte(`    {"record": `)); ok {
			rec := rest[:bytes.LastIndexByte(rest, '}')]
			sig, err := signSSHSIG(owner, RecordSignatureNamespace, rec)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := json.Marshal(string(sig))
			line = append(append(append([]byte(`    {"owner_signature": `), s...), `, "record": `...), rest...)
		}
		out = append(out, line)
	}
	return bytes.Join(out, []byte("\n"))
}

// TestAttackVaultLocalMembers is Dave, who owns a record he shares with
// Bob and so signs it as owner himself, adding to it the members a vault
// keeps for itself or a portable record does not have (the record's id,
// Last use, Bob's own permission, history, the synced revision, a
// revocation, the export's base64 secret, the field that names who signed),
// the portable members again under another case, and members of the wrong
// type. Every record and the bundle are signed by Dave over the bytes as
// edited. Bob's vault refuses each bundle as a whole.
func TestAttackVaultLocalMembers(t *testing.T) {
	bob, dave := newUser(t, "bob"), newUser(t, "dave")
	raw := rawBundlePayload(t, dave, bob, dave.record(1, bob))
	if !bytes.Contains(raw, []byte(`"owner_signature"`)) {
		t.Fatal("dave's own record carries no owner signature")
	}
	// The bundle as Dave builds it imports: the edits below are what is
	// refused.
	if _, err := importInto(t, bob, sealSigned(t, resignRecords(t, raw, dave.signing), dave.signing, bob), contactsOf(dave), nil, ""); err != nil {
		t.Fatalf("dave's bundle, signed again unchanged: %v", err)
	}
	add := func(member string) func([]byte) []byte {
		return func(b []byte) []byte {
			return bytes.Replace(b, []byte(`{"record": {"uid":`), []byte(`{"record": {`+member+`,"uid":`), 1)
		}
	}
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
	}
	for name, edit := range map[string]func([]byte) []byte{
		"id":                   add(`"id":"0011223344556677"`),
		"last use":             add(`"last_used_at":"2030-05-17T09:00:00Z"`),
		"permission":           add(`"permission":"edit"`),
		"synced revision":      add(`"synced_revision":99`),
		"owner unverified":     add(`"owner_unverified":false`),
		"history":              add(`"history":[{"n":1}]`),
		"versions":             add(`"versions":[]`),
		"base64 secret":        add(`"client_secret_base64":"c2VjcmV0"`),
		"owner signer":         add(`"OwnerSigner":"ssh-ed25519 AAAA"`),
		"owner signer, tagged": add(`"owner_signer":"ssh-ed25519 AAAA"`),
		"portable":             add(`"Portable":{"name":"x"}`),
		"revoked in access":    replace(`"permission":"view",`, `"permission":"view","revoked_at":"2030-01-01T00:00:00Z",`),
		"case variant":         add(`"Client_Secret":"planted"`),
		"token url, case":      add(`"TOKEN_URL":"https://evil.example/token"`),
		"secret as a number":   replace(`"client_secret":"s3cr3t-genuine"`, `"client_secret":12345`),
		"secret as an object":  replace(`"client_secret":"s3cr3t-genuine"`, `"client_secret":{"b":"x"}`),
		"secret null":          replace(`"client_secret":"s3cr3t-genuine"`, `"client_secret":null`),
		"revision as text":     replace(`"revision":1`, `"revision":"1"`),
		"tags as text":         replace(`"tags":[]`, `"tags":"prod"`),
		"created as a number":  replace(`"created_at":"`, `"created_at":0,"x":"`),
	} {
		t.Run(name, func(t *testing.T) {
			edited := edit(unsignRecords(raw))
			if bytes.Equal(edited, unsignRecords(raw)) {
				t.Fatal("edit did not apply")
			}
			data := sealSigned(t, resignRecords(t, edited, dave.signing), dave.signing, bob)
			_, err := importInto(t, bob, data, contactsOf(dave), nil, "")
			mustRefuse(t, nil, err, ErrMalformed, "")
		})
	}
}

// TestAttackEditorRevisionJump is Eve, who has edit access to Bob's
// record, sending back her change under the largest revision a bundle can
// hold. Were Bob's copy to take her number, his next edit would wrap it to
// 0, a revision no bundle may carry, and every holder who synced the huge
// one would take each later revision for an older one: Eve would have
// frozen the record for everyone. Bob's vault refuses a change that far
// ahead of his revision; an editor's several edits since the last sync
// still count, and an older revision is a conflict as before.
func TestAttackEditorRevisionJump(t *testing.T) {
	bob, eve := newUser(t, "bob"), newUser(t, "eve")
	own := bob.record(3).Secret()
	own.Owner, own.OwnerKey, own.Permission = "", "", secret.PermOwner
	own.SyncedRevision = 3
	own.Access = []secret.Access{{Name: "eve", Recipient: eve.key(), Permission: secret.PermEdit}}
	send := func(rev uint64) (*ImportPlan, error) {
		edit := bob.record(rev)
		edit.Notes = "eve's change"
		return importInto(t, bob, eve.bundle(t, eve.sender(), []*user{bob}, edit), contactsOf(eve), []*secret.Record{own}, "")
	}
	for _, rev := range []uint64{1<<64 - 1, 1<<64 - 2, 1 << 53, 3 + maxRevisionStep + 1} {
		plan, err := send(rev)
		mustRefuse(t, plan, err, ErrNotPermitted, "no copy gets that far ahead")
	}
	for _, c := range []struct{ sent, want uint64 }{{4, 4}, {9, 9}, {3 + maxRevisionStep, 3 + maxRevisionStep}} {
		plan, err := send(c.sent)
		if err != nil {
			t.Fatalf("revision %d: %v", c.sent, err)
		}
		if len(plan.Steps) != 1 || plan.Steps[0].Action != ActionUpdate || plan.Steps[0].Record.Revision != c.want {
			t.Errorf("revision %d: %+v, want an update to revision %d", c.sent, plan.Steps, c.want)
		}
	}
	plan, err := send(2)
	if err == nil || len(plan.Steps) != 1 || plan.Steps[0].Action != ActionConflict {
		t.Errorf("an older revision: %v, want a conflict", err)
	}
}

// TestAttackEditorTakesALookalikeIdentifier is Eve, with edit access to
// Bob's "billing", changing its identifier to one that looks like the
// identifier of another of Bob's records, so that Bob's scripts asking for
// "payments" might get her record. Bob's vault refuses it, as it refuses a
// new record with such an identifier; her change of the creation time is
// not taken either, since the owner's copy keeps its own.
func TestAttackEditorTakesALookalikeIdentifier(t *testing.T) {
	bob, eve := newUser(t, "bob"), newUser(t, "eve")
	payments := &secret.Record{ID: "0011223344556677", UID: uid2, Name: "payments", Identifier: "payments", Permission: secret.PermOwner, Revision: 1}
	billing := bob.record(3).Secret()
	billing.ID, billing.Name, billing.Identifier = "8899aabbccddeeff", "billing", "billing"
	billing.Owner, billing.OwnerKey, billing.Permission = "", "", secret.PermOwner
	billing.SyncedRevision = 3
	billing.Access = []secret.Access{{Name: "eve", Recipient: eve.key(), Permission: secret.PermEdit}}
	local := []*secret.Record{payments, billing}
	for _, ident := range []string{"pаyments", "PAYMENTS", "ｐａｙｍｅｎｔｓ"} {
		edit := bob.record(4)
		edit.Name, edit.Identifier = "billing", ident
		plan, err := importInto(t, bob, eve.bundle(t, eve.sender(), []*user{bob}, edit), contactsOf(eve), local, "")
		mustRefuse(t, plan, err, ErrNotPermitted, `looks like "payments"`)
	}
	edit := bob.record(4)
	edit.Name, edit.Identifier, edit.Notes = "billing", "billing", "eve's notes"
	edit.CreatedAt = testNow().Add(-1e9 * 3600 * 24 * 365 * 10)
	plan, err := importInto(t, bob, eve.bundle(t, eve.sender(), []*user{bob}, edit), contactsOf(eve), local, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Steps[0].Record; got.Notes != "eve's notes" || !got.CreatedAt.Equal(billing.CreatedAt) {
		t.Errorf("eve's change stored with notes %q, created %v; want her notes and Bob's creation time %v", got.Notes, got.CreatedAt, billing.CreatedAt)
	}
}
