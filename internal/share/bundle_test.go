package share

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"

	"github.com/mysafe/mysafe/internal/secret"
)

func TestRoundTrip(t *testing.T) {
	alice := newX25519Person(t, "alice")
	kinds := []struct {
		name string
		make func(testing.TB, string) person
		kind Kind
	}{
		{"x25519", newX25519Person, KindX25519},
		{"hybrid", newHybridPerson, KindHybrid},
		{"ssh-ed25519", newSSHEd25519Person, KindSSHEd25519},
		{"ssh-rsa", newSSHRSAPerson, KindSSHRSA},
	}
	for _, k := range kinds {
		bob := k.make(t, "bob")
		for _, armored := range []bool{false, true} {
			t.Run(k.name+map[bool]string{false: "/binary", true: "/armored"}[armored], func(t *testing.T) {
				withToken := testRecord(alice, uid1, "payments")
				withToken.TokenURL, withToken.TokenAuth = " https://auth.example.com/oauth2/token", "client_secret_post"
				in := testPayload(alice, secret.PermEdit, withToken, testRecord(alice, uid2, "search"))
				data := mustBuild(t, in, alice.signing, armored, bob)
				if armored != bytes.HasPrefix(data, []byte(armor.Header)) {
					t.Fatalf("armored=%v but file starts %q", armored, data[:20])
				}
				if !armored && !bytes.HasPrefix(data, []byte("age-encryption.org/v1\n")) {
					t.Fatalf("binary file starts %q", data[:20])
				}

				o, err := open(t, data, bob, testNow(), OpenOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !o.Signed || o.Armored != armored || o.ID() != in.ID {
					t.Errorf("Signed=%v Armored=%v ID=%q, want true %v %q", o.Signed, o.Armored, o.ID(), armored, in.ID)
				}
				pk, _ := ssh.NewPublicKey(alice.signing.Public().(ed25519.PublicKey))
				if want := ssh.FingerprintSHA256(pk); o.SignerFingerprint != want {
					t.Errorf("SignerFingerprint = %q, want %q", o.SignerFingerprint, want)
				}
				if o.SignerKey != FormatSigningKey(alice.signing.Public().(ed25519.PublicKey)) {
					t.Errorf("SignerKey = %q", o.SignerKey)
				}
				got := o.Payload
				if len(got.Records) != 2 || len(got.Recipients) != 1 {
					t.Fatalf("payload = %+v", got)
				}
				if got.Recipients[0].Name != "bob" || got.Recipients[0].Recipient != bob.recipient(t).Key() {
					t.Errorf("recipients = %+v", got.Recipients)
				}
				if got.PostQuantum() != (k.kind == KindHybrid) {
					t.Errorf("PostQuantum() = %v", got.PostQuantum())
				}
				r := got.Records[0]
				want := testRecord(alice, uid1, "payments")
				if r.OwnerSigner != o.SignerKey {
					t.Errorf("record's OwnerSigner = %q, want the sender's key: the sender owns it", r.OwnerSigner)
				}
				if r.ClientSecret.Reveal() != want.ClientSecret.Reveal() || r.URL != want.URL || r.Notes != want.Notes ||
					r.OwnerKey != alice.key || r.Revision != 3 || !r.UpdatedAt.Equal(want.UpdatedAt) {
					t.Errorf("record = %+v (secret %q)", r, r.ClientSecret.Reveal())
				}
				if r.TokenURL != "https://auth.example.com/oauth2/token" || r.TokenAuth != secret.TokenAuthForm || got.Records[1].TokenURL != "" || got.Records[1].TokenAuth != "" {
					t.Errorf("token URL %q, auth %q (normalized?); other record's %q %q", r.TokenURL, r.TokenAuth, got.Records[1].TokenURL, got.Records[1].TokenAuth)
				}
				if strings.Join(r.Tags, ",") != "billing,prod" {
					t.Errorf("tags = %q, want normalized billing,prod", r.Tags)
				}
			})
		}
	}
}

func TestBuildSeveralRecipients(t *testing.T) {
	alice, bob, carol := newX25519Person(t, "alice"), newX25519Person(t, "bob"), newSSHEd25519Person(t, "carol")
	p := testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments"))
	bobR := bob.recipient(t)
	bobAgain := bob.recipient(t)
	bobAgain.Name = "robert"
	data, err := Build(p, alice.signing, []Recipient{bobR, carol.recipient(t), bobAgain}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []person{bob, carol} {
		o, err := open(t, data, who, testNow(), OpenOptions{})
		if err != nil {
			t.Fatalf("%s: %v", who.name, err)
		}
		if n := len(o.Payload.Recipients); n != 2 {
			t.Errorf("%d recipients listed, want 2 (duplicate key dropped)", n)
		}
	}
}

func TestBuildMixedRecipients(t *testing.T) {
	alice := newX25519Person(t, "alice")
	p := testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments"))
	rs := []Recipient{newHybridPerson(t, "bob").recipient(t), newX25519Person(t, "carol").recipient(t)}
	_, err := Build(p, alice.signing, rs, false)
	if !errors.Is(err, ErrMixedRecipients) {
		t.Fatalf("err = %v, want ErrMixedRecipients", err)
	}
	for _, want := range []string{"bob", "carol", "two bundles"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	pq, err := CheckRecipients(rs[:1])
	if err != nil || !pq {
		t.Errorf("CheckRecipients(hybrid) = %v, %v; want true, nil", pq, err)
	}
	if _, err := CheckRecipients([]Recipient{{Name: "zero"}}); !errors.Is(err, ErrInvalidRecipient) {
		t.Errorf("zero Recipient: err = %v", err)
	}
}

func TestBuildRejectsInvalidPayload(t *testing.T) {
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	rec := testRecord(alice, uid1, "payments")
	tests := []struct {
		name string
		edit func(*Payload)
		want string
	}{
		{"no id", func(p *Payload) { p.ID = "" }, "id"},
		{"no time", func(p *Payload) { p.CreatedAt = time.Time{} }, "created_at"},
		{"owner permission", func(p *Payload) {
			p.Records[0].Access = []Access{{Name: "bob", Recipient: bob.key, Permission: secret.PermOwner}}
		}, "permission"},
		{"access to the owner", func(p *Payload) {
			p.Records[0].Access = []Access{{Name: "alice", Recipient: alice.key, Permission: secret.PermView}}
		}, "owner's"},
		{"revision zero", func(p *Payload) { p.Records[0].Revision = 0 }, "revision"},
		{"bidi control in the sender's name", func(p *Payload) { p.Sender.Name = "dave\u202eevil" }, "sender.name: contains the bidirectional control U+202E"},
		{"escape in the owner's name", func(p *Payload) { p.Records[0].Owner = "bob\x1b[2J" }, "owner"},
		{"no records", func(p *Payload) { p.Records = nil }, "records"},
		{"bad sender key", func(p *Payload) { p.Sender.Recipient = "age1nope" }, "sender.recipient"},
		{"bad url", func(p *Payload) { p.Records[0].URL = "ftp://x" }, "url"},
		{"no owner key", func(p *Payload) { p.Records[0].OwnerKey = "" }, "owner_key"},
		{"bad uid", func(p *Payload) { p.Records[0].UID = "XYZ" }, "uid"},
		{"duplicate uid", func(p *Payload) { p.Records = append(p.Records, p.Records[0]) }, "twice"},
		{"expires before creation", func(p *Payload) { e := p.CreatedAt.Add(-time.Hour); p.ExpiresAt = &e }, "expires_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPayload(alice, secret.PermView, rec)
			tt.edit(&p)
			_, err := Build(p, alice.signing, []Recipient{bob.recipient(t)}, false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), rec.ClientSecret.Reveal()) {
				t.Fatalf("error leaks the client secret: %v", err)
			}
		})
	}
	if _, err := Build(testPayload(alice, secret.PermView, rec), nil, []Recipient{bob.recipient(t)}, false); err == nil {
		t.Error("Build without a signing key succeeded")
	}
}

func TestBuildDoesNotModifyCaller(t *testing.T) {
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	rec := testRecord(alice, uid1, "payments")
	rec.Tags = []string{"zeta", "alpha"}
	p := testPayload(alice, secret.PermView, rec)
	mustBuild(t, p, alice.signing, false, bob)
	if p.Records[0].Tags[0] != "zeta" || p.Recipients != nil || p.Sender.SigningKey != "" {
		t.Errorf("Build modified its argument: %+v", p)
	}
}

func TestOpenRejects(t *testing.T) {
	alice, bob, carol := newX25519Person(t, "alice"), newX25519Person(t, "bob"), newX25519Person(t, "carol")
	mallory := newX25519Person(t, "mallory")
	rec := testRecord(alice, uid1, "payments")
	p := testPayload(alice, secret.PermView, rec)
	good := mustBuild(t, p, alice.signing, false, bob)
	goodArmored := mustBuild(t, p, alice.signing, true, bob)
	raw := rawPayload(t, p, alice.signing, []person{bob}, nil)

	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 0x01
		return b
	}
	headerEnd := bytes.Index(good, []byte("\n---")) + 5 // inside the header MAC

	expiring := p
	exp := testNow().Add(time.Hour)
	expiring.ExpiresAt = &exp

	tests := []struct {
		name string
		data []byte
		opts OpenOptions
		now  time.Time
		want error
	}{
		{"not an age file", []byte(`{"payload": {}}`), OpenOptions{}, testNow(), ErrMalformed},
		{"empty file", nil, OpenOptions{}, testNow(), ErrMalformed},
		{"not addressed to me", mustBuild(t, p, alice.signing, false, carol), OpenOptions{}, testNow(), ErrNotAddressed},
		{"payload byte flipped", flip(good, len(good)-20), OpenOptions{}, testNow(), ErrTampered},
		{"header MAC flipped", flip(good, headerEnd), OpenOptions{}, testNow(), ErrTampered},
		{"truncated", good[:len(good)-17], OpenOptions{}, testNow(), ErrTampered},
		{"truncated in header", good[:40], OpenOptions{}, testNow(), ErrTampered},
		{"trailing data", append(bytes.Clone(good), 0), OpenOptions{}, testNow(), ErrTampered},
		{"armored truncated", goodArmored[:len(goodArmored)-40], OpenOptions{}, testNow(), ErrTampered},
		{"armored bad base64", bytes.Replace(goodArmored, []byte("\n"), []byte("\n!"), 3), OpenOptions{}, testNow(), ErrTampered},
		{"plaintext not JSON", sealPlain(t, []byte("hello\n"), bob), OpenOptions{}, testNow(), ErrMalformed},
		{"unknown envelope field", sealPlain(t, []byte(`{"payload":{},"x":1}`), bob), OpenOptions{}, testNow(), ErrMalformed},
		{"data after envelope", sealPlain(t, append(makeEnvelope(raw, nil), "{}"...), bob), OpenOptions{}, testNow(), ErrMalformed},
		{"other format", sealRaw(t, []byte(`{"format":"other","version":1}`), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrMalformed},
		{"newer version", sealRaw(t, jsonEdit(t, raw, func(m map[string]any) { m["version"] = 3 }), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrUnsupportedVersion},
		{"version 1", sealRaw(t, jsonEdit(t, raw, func(m map[string]any) { m["version"] = 1 }), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrUnsupportedVersion},
		// Signed JSON reads one way only: a second member with the same
		// name, in any case, is refused rather than silently preferred.
		{"duplicate member", sealRaw(t, bytes.Replace(raw, []byte(`"id": `), []byte(`"id": "00000000000000000000000000000000", "id": `), 1), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrMalformed},
		{"case-variant member", sealRaw(t, bytes.Replace(raw, []byte(`"id": `), []byte(`"ID": "00000000000000000000000000000000", "id": `), 1), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrMalformed},
		{"unknown member", sealRaw(t, bytes.Replace(raw, []byte(`"id": `), []byte(`"permission": "edit", "id": `), 1), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrMalformed},
		{"owner-signed record edited", sealRaw(t, bytes.Replace(raw, []byte(`"client_secret":"s3cr3t-payments"`), []byte(`"client_secret":"attacker-value!"`), 1), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrBadSignature},
		{"owner-signed record not canonical", sealRaw(t, bytes.Replace(raw, []byte(`"record": {"uid"`), []byte(`"record": { "uid"`), 1), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrMalformed},
		{"too many tags", sealRaw(t, bytes.Replace(raw, []byte(`"tags":[`), []byte(`"tags":[`+strings.Repeat(`"t",`, secret.MaxTags+1)), 1), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrMalformed},
		{"file too large", make([]byte, MaxBundleSize+1), OpenOptions{}, testNow(), ErrMalformed},
		{"payload edited after signing", sealPlain(t, bytes.Replace(makeEnvelope(raw, mustSign(t, alice.signing, raw)), []byte(`"payments"`), []byte(`"paymentz"`), 1), bob), OpenOptions{}, testNow(), ErrBadSignature},
		{"signed by someone else", sealRaw(t, raw, mallory.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrBadSignature},
		{"signed, without a sender key", sealRaw(t, rawPayload(t, p, alice.signing, []person{bob}, func(p *Payload) { p.Sender.SigningKey = "" }), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrBadSignature},
		{"signed in another namespace", sealRaw(t, raw, alice.signing, "git", bob), OpenOptions{}, testNow(), ErrBadSignature},
		{"garbage signature", sealPlain(t, makeEnvelope(raw, []byte("-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n")), bob), OpenOptions{}, testNow(), ErrBadSignature},
		{"unsigned", sealRaw(t, raw, nil, "", bob), OpenOptions{}, testNow(), ErrUnsigned},
		{"unsigned and malformed, allowed", sealRaw(t, jsonEdit(t, raw, func(m map[string]any) { m["records"] = []any{} }), nil, "", bob), OpenOptions{AllowUnsigned: true}, testNow(), ErrMalformed},
		{"signed but invalid record", sealRaw(t, jsonEdit(t, raw, func(m map[string]any) {
			e := m["records"].([]any)[0].(map[string]any)
			delete(e, "owner_signature")
			e["record"].(map[string]any)["url"] = "not a url"
		}), alice.signing, SignatureNamespace, bob), OpenOptions{}, testNow(), ErrMalformed},
		{"expired", mustBuild(t, expiring, alice.signing, false, bob), OpenOptions{}, exp, ErrExpired},
		{"forwarded", sealPlain(t, decryptOrFatal(t, good, bob), carol), OpenOptions{}, testNow(), ErrForwarded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			who := bob
			if tt.want == ErrForwarded {
				who = carol
			}
			o, err := open(t, tt.data, who, tt.now, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if o != nil {
				t.Fatal("Opened returned along with an error")
			}
			t.Log(err)
			for _, other := range []error{ErrNotAddressed, ErrTampered, ErrMalformed, ErrUnsupportedVersion, ErrBadSignature, ErrUnsigned, ErrExpired, ErrForwarded} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("err %v also matches %v", err, other)
				}
			}
			if strings.Contains(err.Error(), rec.ClientSecret.Reveal()) {
				t.Errorf("error leaks the client secret: %v", err)
			}
		})
	}

	t.Run("expiring, before expiry", func(t *testing.T) {
		if _, err := open(t, mustBuild(t, expiring, alice.signing, false, bob), bob, exp.Add(-time.Second), OpenOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unsigned, allowed", func(t *testing.T) {
		o, err := open(t, sealRaw(t, raw, nil, "", bob), bob, testNow(), OpenOptions{AllowUnsigned: true})
		if err != nil {
			t.Fatal(err)
		}
		if o.Signed || o.SignerKey != "" || o.SignerFingerprint != "" {
			t.Errorf("unsigned bundle reported as signed: %+v", o)
		}
	})
	t.Run("bad signature, even when unsigned is allowed", func(t *testing.T) {
		_, err := open(t, sealRaw(t, raw, mallory.signing, SignatureNamespace, bob), bob, testNow(), OpenOptions{AllowUnsigned: true})
		if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("err = %v, want ErrBadSignature", err)
		}
	})
}

func mustSign(t testing.TB, key ed25519.PrivateKey, msg []byte) []byte {
	t.Helper()
	sig, err := signSSHSIG(key, SignatureNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func decryptOrFatal(t testing.TB, data []byte, p person) []byte {
	t.Helper()
	plain, _, err := decrypt(data, []age.Identity{p.identity})
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func TestOpenNeedsToKnowSelf(t *testing.T) {
	alice, bob := newX25519Person(t, "alice"), newSSHEd25519Person(t, "bob")
	data := mustBuild(t, testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments")), alice.signing, false, bob)
	if _, err := Open(data, []age.Identity{bob.identity}, testNow(), OpenOptions{}); err == nil {
		t.Fatal("Open with an SSH identity and no Self succeeded")
	}
	if _, err := Open(data, nil, testNow(), OpenOptions{Self: []string{bob.key}}); err == nil {
		t.Fatal("Open without identities succeeded")
	}
	if _, err := Open(data, []age.Identity{bob.identity}, testNow(), OpenOptions{Self: []string{"AGE-SECRET-KEY-1XYZ"}}); !errors.Is(err, ErrInvalidRecipient) {
		t.Fatalf("invalid Self: err = %v", err)
	}
	// Self may be spelled differently from the recipient list.
	fields := strings.Fields(bob.key)
	o, err := Open(data, []age.Identity{bob.identity}, testNow(), OpenOptions{Self: []string{`from="10.0.0.1" ` + fields[0] + " " + fields[1] + " laptop"}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Payload.Recipients[0].Recipient != fields[0]+" "+fields[1] {
		t.Errorf("recipient listed as %q", o.Payload.Recipients[0].Recipient)
	}
}

func TestOpenSeveralIdentities(t *testing.T) {
	// A user with both a classic and a post-quantum key opens either kind.
	alice := newX25519Person(t, "alice")
	classic, pq := newX25519Person(t, "bob"), newHybridPerson(t, "bob")
	ids := []age.Identity{classic.identity, pq.identity}
	for _, to := range []person{classic, pq} {
		data := mustBuild(t, testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments")), alice.signing, true, to)
		if _, err := Open(data, ids, testNow(), OpenOptions{}); err != nil {
			t.Errorf("to %s: %v", to.recipient(t).Kind(), err)
		}
	}
}

// TestPayloadGolden pins the JSON shape of a payload: field names and order
// are a documented format.
func TestPayloadGolden(t *testing.T) {
	alice := fixedPerson(t, "alice", testAliceSecretKey)
	bob := fixedPerson(t, "bob", testBobSecretKey)
	p := testPayload(alice, secret.PermEdit, testRecord(alice, uid1, "payments"))
	p.ID = "5f1e0c3a9b2d4e6f8a7b6c5d4e3f2a1b"
	exp := testNow().Add(30 * 24 * time.Hour)
	p.ExpiresAt = &exp
	raw := rawPayload(t, p, alice.signing, []person{bob}, nil)
	golden := filepath.Join("testdata", "payload.golden.json")
	if os.Getenv("MYSAFE_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(raw)+"\n" {
		t.Errorf("payload JSON changed (MYSAFE_UPDATE_GOLDEN=1 rewrites it):\n%s\nwant:\n%s", raw, want)
	}
}

func TestEnvelopeLayout(t *testing.T) {
	// docs/bundle-format.md tells people how to cut the payload out of the
	// plaintext by hand; keep the layout it describes.
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	p := testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments"))
	plain := decryptOrFatal(t, mustBuild(t, p, alice.signing, false, bob), bob)
	lines := strings.Split(string(plain), "\n")
	if lines[0] != `{"payload": {` || lines[1] != `  "format": "mysafe-share",` || lines[2] != `  "version": 2,` {
		t.Errorf("envelope starts %q", lines[:3])
	}
	n := len(lines)
	if lines[n-1] != "" || !strings.HasPrefix(lines[n-2], `"signature": "-----BEGIN SSH SIGNATURE-----\n`) ||
		!strings.HasSuffix(lines[n-2], `-----END SSH SIGNATURE-----\n"}`) || lines[n-3] != "}," {
		t.Errorf("envelope ends %q", lines[n-3:])
	}
	if strings.Contains(string(plain), `\u0026`) {
		t.Error("payload JSON escapes & in URLs")
	}
}

func TestRecordConversion(t *testing.T) {
	me := Party{Name: "alice", Recipient: newX25519Person(t, "alice").key}
	r := &secret.Record{
		ID: "0011223344556677", UID: uid1, Name: "payments", URL: "https://x.example", ClientID: "id",
		ClientSecret: secret.NewValue("Pw-Secret-Value"), Tags: []string{"a"}, Revision: 7, SyncedRevision: 5,
		TokenURL: "https://auth.x.example/token", TokenAuth: secret.TokenAuthForm,
		LastUsedAt: testNow(), Access: []secret.Access{{Name: "bob", Permission: secret.PermView}},
	}
	rec := RecordFromSecret(r, me)
	if rec.Owner != "alice" || rec.OwnerKey != me.Recipient || rec.Revision != 7 || rec.ClientSecret.Reveal() != "Pw-Secret-Value" {
		t.Errorf("own record: %+v", rec)
	}
	back := rec.Secret()
	if back.ID != "" || back.Permission != "" || back.Access != nil || !back.LastUsedAt.IsZero() || back.SyncedRevision != 0 {
		t.Errorf("vault-local fields leaked into the bundle form: %+v", back)
	}
	if back.ClientSecret.Reveal() != "Pw-Secret-Value" || back.Revision != 7 || back.OwnerKey != me.Recipient ||
		back.TokenURL != r.TokenURL || back.TokenAuth != r.TokenAuth {
		t.Errorf("Secret() = %+v", back)
	}

	shared := r.Clone()
	shared.Permission, shared.Owner, shared.OwnerKey = secret.PermEdit, "carol", newX25519Person(t, "carol").key
	if rec := RecordFromSecret(shared, me); rec.Owner != "carol" || rec.OwnerKey != shared.OwnerKey {
		t.Errorf("shared record keeps its owner: %+v", rec)
	}

	if s := fmt.Sprintf("%v %+v", rec, Payload{Records: []Record{rec}}); strings.Contains(s, "Pw-Secret-Value") {
		// (A distinctive value: random keys in the output could contain a
		// short one by chance.)
		t.Error("a Record prints its secret")
	}
}

func TestSenderPQKeyMustBePostQuantum(t *testing.T) {
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	p := testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments"))
	p.Sender.PQRecipient = bob.key
	if _, err := Build(p, alice.signing, []Recipient{bob.recipient(t)}, false); err == nil || !strings.Contains(err.Error(), "pq_recipient") {
		t.Errorf("classic key as pq_recipient: err = %v", err)
	}
}
