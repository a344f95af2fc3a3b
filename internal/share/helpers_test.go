package share

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	"github.com/mysafe/mysafe/internal/secret"
)

// Fixed test-only keys, so fuzz seeds and golden files stay valid.
const (
	testBobSecretKey   = "AGE-SECRET-KEY-1A796ZDGA6PHZEG3VD48MP8H9SSGK40CXJWSZY3DFLE3F8SLSACAQKR67MU"
	testAliceSecretKey = "AGE-SECRET-KEY-1KWG50KD8WGMDVKELCJY54TPJSLEALC55JH2WD76X70TAH0S6YQGSWN4GJ2"
)

// testSigningKey makes the fixed test signing key of Alice.
func testSigningKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, "mysafe share test signing key..")
	return ed25519.NewKeyFromSeed(seed)
}

// testNow is the fixed "now" of tests.
func testNow() time.Time { return time.Date(2030, 5, 17, 9, 30, 0, 0, time.UTC) }

// person is a test user: a sharing identity and a signing key.
type person struct {
	name     string
	identity age.Identity
	key      string // sharing recipient
	signing  ed25519.PrivateKey
}

func (p person) recipient(t testing.TB) Recipient {
	t.Helper()
	r, err := ParseRecipient(p.key)
	if err != nil {
		t.Fatal(err)
	}
	r.Name = p.name
	return r
}

func (p person) sender() Sender {
	return Sender{Name: p.name, Recipient: p.key}
}

func (p person) party() Party { return Party{Name: p.name, Recipient: p.key} }

func fixedPerson(t testing.TB, name, secretKey string) person {
	t.Helper()
	id, err := age.ParseX25519Identity(secretKey)
	if err != nil {
		t.Fatal(err)
	}
	return person{name: name, identity: id, key: id.Recipient().String(), signing: testSigningKey()}
}

func newX25519Person(t testing.TB, name string) person {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return person{name: name, identity: id, key: id.Recipient().String(), signing: newSigningKey(t)}
}

func newHybridPerson(t testing.TB, name string) person {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return person{name: name, identity: id, key: id.Recipient().String(), signing: newSigningKey(t)}
}

func newSSHEd25519Person(t testing.TB, name string) person {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := agessh.NewEd25519Identity(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return person{name: name, identity: id, key: authorizedKey(pk) + " " + name + "@example", signing: newSigningKey(t)}
}

func newSSHRSAPerson(t testing.TB, name string) person {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	id, err := agessh.NewRSAIdentity(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return person{name: name, identity: id, key: authorizedKey(pk), signing: newSigningKey(t)}
}

func newSigningKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// testRecord returns a valid record owned by owner.
func testRecord(owner person, uid, name string) Record {
	return Record{
		UID:      uid,
		Owner:    owner.name,
		OwnerKey: owner.key,
		Revision: 3,
		Portable: secret.Portable{
			Name:         name,
			URL:          "https://api.example.com/v1?a=1&b=<2>",
			ClientID:     "client-" + name,
			ClientSecret: secret.Clear{Value: secret.NewValue("s3cr3t-" + name)},
			Identifier:   name,
			Method:       "POST",
			Tags:         []string{"prod", "billing"},
			Notes:        "rotated quarterly\nask ops",
			CreatedAt:    time.Date(2029, 1, 2, 3, 4, 5, 0, time.UTC),
			UpdatedAt:    time.Date(2029, 6, 7, 8, 9, 10, 0, time.UTC),
		},
	}
}

const (
	uid1 = "0123456789abcdef0123456789abcdef"
	uid2 = "fedcba9876543210fedcba9876543210"
)

// testPayload returns a payload from sender. Records the sender owns get
// no access entries here; withAccess adds them.
func testPayload(sender person, perm secret.Permission, records ...Record) Payload {
	_ = perm
	return NewPayload(testNow(), sender.sender(), records)
}

// withAccess returns rec with an access entry for each person.
func withAccess(rec Record, perm secret.Permission, to ...person) Record {
	rec.Access = append([]Access(nil), rec.Access...)
	for _, p := range to {
		r, _ := ParseRecipient(p.key)
		rec.Access = append(rec.Access, Access{Name: p.name, Recipient: r.Key(), Permission: perm, GrantedAt: testNow().Add(-time.Hour)})
	}
	return rec
}

func mustBuild(t testing.TB, p Payload, signer ed25519.PrivateKey, armored bool, to ...person) []byte {
	t.Helper()
	rs := make([]Recipient, len(to))
	for i, r := range to {
		rs[i] = r.recipient(t)
	}
	b, err := Build(p, signer, rs, armored)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealRaw signs raw as a payload (unless signer is nil) and encrypts it to
// to, bypassing Build's checks, for testing what Open does with bundles a
// careless or hostile sender could make.
func sealRaw(t testing.TB, raw []byte, signer ed25519.PrivateKey, namespace string, to ...person) []byte {
	t.Helper()
	var env []byte
	if signer == nil {
		env = append(append([]byte(envelopePrefix), raw...), "}\n"...)
	} else {
		sig, err := signSSHSIG(signer, namespace, raw)
		if err != nil {
			t.Fatal(err)
		}
		env = makeEnvelope(raw, sig)
	}
	return sealPlain(t, env, to...)
}

func sealPlain(t testing.TB, plaintext []byte, to ...person) []byte {
	t.Helper()
	ars := make([]age.Recipient, len(to))
	for i, p := range to {
		ars[i] = p.recipient(t).AgeRecipient()
	}
	b, err := seal(plaintext, ars, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawPayload returns p as Build would sign it, after letting edit change it.
func rawPayload(t testing.TB, p Payload, signer ed25519.PrivateKey, to []person, edit func(*Payload)) []byte {
	t.Helper()
	p.Sender.SigningKey = FormatSigningKey(signer.Public().(ed25519.PublicKey))
	for _, r := range to {
		p.Recipients = append(p.Recipients, r.party())
	}
	if err := p.validate(); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&p)
	}
	raw, err := marshalPayload(&p, signer)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// jsonEdit rewrites a JSON document through a generic map.
func jsonEdit(t testing.TB, raw []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func open(t testing.TB, data []byte, p person, now time.Time, opts OpenOptions) (*Opened, error) {
	t.Helper()
	if !strings.HasPrefix(p.key, "age1") {
		opts.Self = append(opts.Self, p.key)
	}
	return Open(data, []age.Identity{p.identity}, now, opts)
}
