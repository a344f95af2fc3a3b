package share

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mysafe/mysafe/internal/secret"
)

// FormatName and FormatVersion identify the payload format, written as the
// payload's "format" and "version". docs/bundle-format.md describes it. The
// version changes only when an older reader could misread a newer payload;
// fields readers may ignore can be added without a change.
const (
	FormatName    = "mysafe-share"
	FormatVersion = 1
)

// MaxPlaintextSize bounds the decrypted size of a bundle Open accepts. It is
// far above any real bundle and keeps a hostile file from exhausting memory.
const MaxPlaintextSize = 64 << 20

// Payload is the signed content of a share bundle. Its JSON form is the
// documented, stable format described in docs/bundle-format.md.
type Payload struct {
	// Format and Version are set by Build to FormatName and FormatVersion.
	Format  string `json:"format"`
	Version int    `json:"version"`
	// ID identifies the bundle, 32 lower-case hex digits from NewBundleID.
	// Importers remember it to notice a bundle imported twice.
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt, when set, is the time after which Open refuses the bundle.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Sender    Sender     `json:"sender"`
	// Recipients are the people the bundle is encrypted to. Build fills it
	// from the recipients it encrypts to.
	Recipients []Party `json:"recipients"`
	// Permission is what the recipients may do with the records: view or
	// edit.
	Permission secret.Permission `json:"permission"`
	Records    []Record          `json:"records"`
}

// Sender says who made a bundle.
type Sender struct {
	Name string `json:"name"`
	// Recipient is the sender's sharing key (age1..., what `mysafe key`
	// prints): the key records name as owner_key and the key to share back
	// to. It names the person, so it is the classic key even in a
	// post-quantum bundle.
	Recipient string `json:"recipient"`
	// SigningKey is the sender's Ed25519 signing key in authorized_keys form
	// ("ssh-ed25519 AAAA..."). Build sets it from the signing key.
	SigningKey string `json:"signing_key"`
	// PQRecipient is the sender's post-quantum sharing key (age1pq1...,
	// what `mysafe key --pq` prints), if they have one: another way
	// recipients may know them by. It may be empty.
	PQRecipient string `json:"pq_recipient,omitempty"`
}

// Party is one entry of a bundle's recipient list.
type Party struct {
	Name      string `json:"name"`
	Recipient string `json:"recipient"`
}

// Record is an API secret as a bundle carries it: the fields every copy of
// the record shares, the client secret included. Vault-local fields (id,
// permission, access list, last use, synced revision) stay behind.
type Record struct {
	UID          string
	Name         string
	URL          string
	ClientID     string
	ClientSecret secret.Value
	Identifier   string
	Method       string
	Tags         []string
	Notes        string
	Owner        string // the owner's name
	OwnerKey     string // the owner's sharing key
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Revision     uint64
}

// recordJSON is the wire form of Record. The client secret is a plain string
// only here, so a Record printed by mistake still shows "(elided)".
type recordJSON struct {
	UID          string    `json:"uid"`
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
	Identifier   string    `json:"identifier"`
	Method       string    `json:"method"`
	Tags         []string  `json:"tags"`
	Notes        string    `json:"notes"`
	Owner        string    `json:"owner"`
	OwnerKey     string    `json:"owner_key"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Revision     uint64    `json:"revision"`
}

// MarshalJSON encodes the record in the bundle format, client secret
// included in clear: the bundle is encrypted as a whole.
func (rec Record) MarshalJSON() ([]byte, error) {
	tags := rec.Tags
	if tags == nil {
		tags = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep URLs legible
	err := enc.Encode(recordJSON{
		UID: rec.UID, Name: rec.Name, URL: rec.URL, ClientID: rec.ClientID,
		ClientSecret: rec.ClientSecret.Reveal(),
		Identifier:   rec.Identifier, Method: rec.Method, Tags: tags, Notes: rec.Notes,
		Owner: rec.Owner, OwnerKey: rec.OwnerKey,
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt, Revision: rec.Revision,
	})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// UnmarshalJSON decodes the bundle format.
func (rec *Record) UnmarshalJSON(b []byte) error {
	var j recordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*rec = Record{
		UID: j.UID, Name: j.Name, URL: j.URL, ClientID: j.ClientID,
		ClientSecret: secret.NewValue(j.ClientSecret),
		Identifier:   j.Identifier, Method: j.Method, Tags: j.Tags, Notes: j.Notes,
		Owner: j.Owner, OwnerKey: j.OwnerKey,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, Revision: j.Revision,
	}
	return nil
}

// NewBundleID returns a fresh random bundle id.
func NewBundleID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails: crypto/rand aborts the program instead
	return hex.EncodeToString(b)
}

// NewPayload returns a payload with a fresh id, created now, ready for
// Build. The caller may set ExpiresAt.
func NewPayload(now time.Time, sender Sender, perm secret.Permission, records []Record) Payload {
	return Payload{
		Format:     FormatName,
		Version:    FormatVersion,
		ID:         NewBundleID(),
		CreatedAt:  now.UTC().Truncate(time.Second),
		Sender:     sender,
		Permission: perm,
		Records:    records,
	}
}

// PostQuantum reports whether every recipient in the list has a
// post-quantum key, which is how Build encrypts such a bundle.
func (p *Payload) PostQuantum() bool {
	for _, r := range p.Recipients {
		if !strings.HasPrefix(r.Recipient, "age1pq1") {
			return false
		}
	}
	return len(p.Recipients) > 0
}

// RecordFromSecret returns the bundle form of r, client secret included.
// self is the vault's own user: when r is theirs (r.Mine), the bundle names
// them as its owner, since a vault stores no owner for its user's records.
func RecordFromSecret(r *secret.Record, self Party) Record {
	rec := Record{
		UID:          r.UID,
		Name:         r.Name,
		URL:          r.URL,
		ClientID:     r.ClientID,
		ClientSecret: secret.NewValueBytes(r.ClientSecret.Bytes()),
		Identifier:   r.Identifier,
		Method:       r.Method,
		Tags:         append([]string(nil), r.Tags...),
		Notes:        r.Notes,
		Owner:        r.Owner,
		OwnerKey:     r.OwnerKey,
		CreatedAt:    r.CreatedAt.UTC(),
		UpdatedAt:    r.UpdatedAt.UTC(),
		Revision:     r.Revision,
	}
	if r.Mine() {
		rec.Owner, rec.OwnerKey = self.Name, self.Recipient
	}
	return rec
}

// Secret returns a new secret.Record holding rec's fields. The vault-local
// fields are left zero: ID, Permission, Access, LastUsedAt and
// SyncedRevision are the importer's to set (Decide sets all but ID).
func (rec Record) Secret() *secret.Record {
	return &secret.Record{
		UID:          rec.UID,
		Name:         rec.Name,
		URL:          rec.URL,
		ClientID:     rec.ClientID,
		ClientSecret: secret.NewValueBytes(rec.ClientSecret.Bytes()),
		Identifier:   rec.Identifier,
		Method:       rec.Method,
		Tags:         append([]string(nil), rec.Tags...),
		Notes:        rec.Notes,
		Owner:        rec.Owner,
		OwnerKey:     rec.OwnerKey,
		CreatedAt:    rec.CreatedAt,
		UpdatedAt:    rec.UpdatedAt,
		Revision:     rec.Revision,
	}
}

// validate checks a payload field by field and normalizes its keys and
// records, so that Build writes and Open returns only payloads that import
// cleanly. Errors name the field and never contain a client secret.
func (p *Payload) validate() error {
	if p.Format != FormatName {
		return fmt.Errorf("format is %q, not %q", p.Format, FormatName)
	}
	if p.Version != FormatVersion {
		return fmt.Errorf("version is %d, not %d", p.Version, FormatVersion)
	}
	if !isHexID(p.ID) {
		return errors.New("id: want 32 lower-case hex digits")
	}
	if p.CreatedAt.IsZero() {
		return errors.New("created_at: missing")
	}
	if p.ExpiresAt != nil && !p.ExpiresAt.After(p.CreatedAt) {
		return errors.New("expires_at: not after created_at")
	}
	if err := checkName("sender.name", p.Sender.Name); err != nil {
		return err
	}
	r, err := ParseRecipient(p.Sender.Recipient)
	if err != nil {
		return fmt.Errorf("sender.recipient: %w", err)
	}
	p.Sender.Recipient = r.Key()
	if p.Sender.PQRecipient != "" {
		r, err := ParseRecipient(p.Sender.PQRecipient)
		if err != nil || !r.PostQuantum() {
			return errors.New("sender.pq_recipient: not a post-quantum age key (age1pq1...)")
		}
		p.Sender.PQRecipient = r.Key()
	}
	// An unsigned bundle made by hand may leave the signing key out; Open
	// requires it to match the signature when there is one.
	if p.Sender.SigningKey != "" {
		if p.Sender.SigningKey, _, err = ParseSigningKey(p.Sender.SigningKey); err != nil {
			return fmt.Errorf("sender.signing_key: %w", err)
		}
	}
	if len(p.Recipients) == 0 {
		return errors.New("recipients: empty")
	}
	for i := range p.Recipients {
		if err := checkName(fmt.Sprintf("recipients[%d].name", i), p.Recipients[i].Name); err != nil {
			return err
		}
		r, err := ParseRecipient(p.Recipients[i].Recipient)
		if err != nil {
			return fmt.Errorf("recipients[%d].recipient: %w", i, err)
		}
		p.Recipients[i].Recipient = r.Key()
	}
	if p.Permission != secret.PermView && p.Permission != secret.PermEdit {
		return fmt.Errorf("permission: %q is not view or edit", p.Permission)
	}
	if len(p.Records) == 0 {
		return errors.New("records: empty")
	}
	uids := make(map[string]bool, len(p.Records))
	for i := range p.Records {
		if err := p.Records[i].normalize(); err != nil {
			return fmt.Errorf("records[%d]: %w", i, err)
		}
		if uids[p.Records[i].UID] {
			return fmt.Errorf("records[%d]: uid %s appears twice", i, p.Records[i].UID)
		}
		uids[p.Records[i].UID] = true
	}
	return nil
}

// normalize validates the record with the same rules as the vault and
// keeps the normalized fields.
func (rec *Record) normalize() error {
	if !isHexID(rec.UID) {
		return errors.New("uid: want 32 lower-case hex digits")
	}
	s := rec.Secret()
	if err := s.Normalize(); err != nil {
		return err
	}
	rec.Name, rec.URL, rec.ClientID, rec.Identifier = s.Name, s.URL, s.ClientID, s.Identifier
	rec.Method, rec.Tags = s.Method, s.Tags
	if err := checkName("owner", rec.Owner); err != nil {
		return err
	}
	r, err := ParseRecipient(rec.OwnerKey)
	if err != nil {
		return fmt.Errorf("owner_key: %w", err)
	}
	rec.OwnerKey = r.Key()
	return nil
}

func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkName checks a person's name: optional, one line of text.
func checkName(field, s string) error {
	switch {
	case len(s) > secret.MaxNameLen:
		return fmt.Errorf("%s: longer than %d bytes", field, secret.MaxNameLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s: not valid UTF-8", field)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%s: contains a control character", field)
	}
	return nil
}
