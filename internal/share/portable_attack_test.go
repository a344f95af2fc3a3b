package share

import (
	"bytes"
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
