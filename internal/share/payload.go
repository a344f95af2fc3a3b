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
	"unicode/utf8"

	"github.com/mysafe/mysafe/internal/secret"
)

// FormatName and FormatVersion identify the payload format, written as the
// payload's "format" and "version". docs/bundle-format.md describes it.
// Version 2 added owner signatures on every record and strict parsing;
// version 1 bundles are refused with a message asking the sender to upgrade.
const (
	FormatName    = "mysafe-share"
	FormatVersion = 2
)

// Size limits of a bundle, checked before the expensive work they would
// otherwise let a hostile file cause: the file size before decryption, the
// content size while decrypting, and the number of entries while parsing,
// before anything is decoded or validated.
const (
	// MaxPlaintextSize bounds the decrypted content.
	MaxPlaintextSize = 16 << 20
	// MaxBundleSize bounds the file: the content, armored (4/3), plus the
	// age header with room for MaxRecipients post-quantum recipients.
	MaxBundleSize = MaxPlaintextSize/3*4 + 4<<20
	// MaxRecords bounds the records in one bundle.
	MaxRecords = 1000
	// MaxRecipients bounds the recipients of one bundle and the access list
	// of one record.
	MaxRecipients = 256
)

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
	// Records are the records, each with its owner's signature when the
	// sender owns it.
	Records []Record `json:"-"`
}

// Sender says who made a bundle. Everything here is a claim of whoever
// signed the bundle; IdentifySender checks it against the user's contacts.
type Sender struct {
	Name string `json:"name"`
	// Recipient is the sender's sharing key (age1..., from their card): the
	// key records name as owner_key and the key to share back to.
	Recipient string `json:"recipient"`
	// PQRecipient is the sender's post-quantum sharing key, if any.
	PQRecipient string `json:"pq_recipient,omitempty"`
	// SigningKey is the sender's Ed25519 signing key in authorized_keys form
	// ("ssh-ed25519 AAAA..."). Build sets it from the signing key.
	SigningKey string `json:"signing_key"`
}

// Party is one entry of a bundle's recipient list.
type Party struct {
	Name      string `json:"name"`
	Recipient string `json:"recipient"`
}

// Access is one entry of a record's access list as the owner signs it: who
// holds the record, with which permission, granted when.
type Access struct {
	Name       string            `json:"name"`
	Recipient  string            `json:"recipient"`
	Permission secret.Permission `json:"permission"`
	GrantedAt  time.Time         `json:"granted_at"`
}

// Record is one revision of an API secret as a bundle carries it: the
// portable record (secret.Portable: the fields every copy shares, the
// client secret included) with its sharing identity around it: its uid and
// revision, its owner and the owner's access list. Vault-local fields (id,
// last use, the importer's permission, synced revision) stay behind.
//
// Its JSON form, in the order of the fields, is the record's canonical
// encoding, which the owner signs: see canonical.
type Record struct {
	UID      string   `json:"uid"`
	Revision uint64   `json:"revision"`
	Owner    string   `json:"owner"`     // the owner's name
	OwnerKey string   `json:"owner_key"` // the owner's sharing key
	Access   []Access `json:"access"`
	// Portable holds the record's content. Where a client secret is sent
	// (TokenURL, TokenAuth) is for the owner alone to change: see
	// DecideRecord.
	secret.Portable

	// OwnerSigner is the key that made the record's owner signature, in
	// authorized_keys form, once Open has verified that signature; empty
	// when the record carries none. The signature covers the canonical
	// encoding of everything above. Whether the signer is really the owner
	// is for the caller to decide, against the owner's contact card: see
	// DecideRecord.
	OwnerSigner string `json:"-"`
}

// canonical returns the record's canonical encoding, the bytes an owner
// signs: compact JSON, members in the order of Record's fields, times in
// UTC with nanoseconds only when present, HTML characters not escaped, the
// token fields only when set (so records without them encode as they did
// before the fields existed). TestBundleOfEarlierVersionOpens holds it to
// the bytes earlier versions signed.
func (rec *Record) canonical() ([]byte, error) {
	c := *rec
	c.Access = append([]Access{}, rec.Access...)
	if c.Tags == nil {
		c.Tags = []string{}
	}
	for i := range c.Access {
		c.Access[i].GrantedAt = c.Access[i].GrantedAt.UTC()
	}
	c.CreatedAt, c.UpdatedAt = rec.CreatedAt.UTC(), rec.UpdatedAt.UTC()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep URLs legible
	err := enc.Encode(&c)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// decodeRecord decodes the record form after checkStrict accepted it.
func decodeRecord(b []byte) (Record, error) {
	var rec Record
	err := json.Unmarshal(b, &rec)
	return rec, err
}

// The shapes of signed JSON, for checkStrict. Strings are bounded well
// above what validation allows, so that no single member can be huge.
var (
	// timeShape is an RFC 3339 time.
	timeShape = str(64)
	keyShape  = str(4096) // a post-quantum age key is about 2,000 bytes
)

func recordShape() *shape {
	return obj(map[string]member{
		"uid":       req(str(32)),
		"revision":  req(num()),
		"owner":     req(str(secret.MaxNameLen)),
		"owner_key": req(keyShape),
		"access": req(arr(MaxRecipients, obj(map[string]member{
			"name":       req(str(secret.MaxNameLen)),
			"recipient":  req(keyShape),
			"permission": req(str(16)),
			"granted_at": req(timeShape),
		}))),
		"name":          req(str(secret.MaxNameLen)),
		"url":           req(str(secret.MaxFieldLen)),
		"client_id":     req(str(secret.MaxFieldLen)),
		"client_secret": req(str(secret.MaxSecretLen)),
		"identifier":    req(str(secret.MaxFieldLen)),
		"method":        req(str(16)),
		"tags":          req(arr(secret.MaxTags, str(secret.MaxTagLen))),
		"notes":         req(str(secret.MaxNotesLen)),
		"token_url":     opt(str(secret.MaxFieldLen)),
		"token_auth":    opt(str(32)),
		"created_at":    req(timeShape),
		"updated_at":    req(timeShape),
	})
}

func payloadShape() *shape {
	return obj(map[string]member{
		"format":     req(str(64)),
		"version":    req(num()),
		"id":         req(str(32)),
		"created_at": req(timeShape),
		"expires_at": opt(timeShape),
		"sender": req(obj(map[string]member{
			"name":         req(str(secret.MaxNameLen)),
			"recipient":    req(keyShape),
			"pq_recipient": opt(keyShape),
			"signing_key":  opt(keyShape),
		})),
		"recipients": req(arr(MaxRecipients, obj(map[string]member{
			"name":      req(str(secret.MaxNameLen)),
			"recipient": req(keyShape),
		}))),
		"records": req(arr(MaxRecords, obj(map[string]member{
			"owner_signature": opt(str(4096)),
			"record":          req(recordShape()),
		}))),
	})
}

// payloadJSON is the wire form of Payload, records kept raw so their owner
// signatures can be checked over their exact bytes.
type payloadJSON struct {
	Payload
	Records []recordEntry `json:"records"`
}

type recordEntry struct {
	OwnerSignature string          `json:"owner_signature,omitempty"`
	Record         json.RawMessage `json:"record"`
}

// NewBundleID returns a fresh random bundle id.
func NewBundleID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails: crypto/rand aborts the program instead
	return hex.EncodeToString(b)
}

// NewPayload returns a payload with a fresh id, created now, ready for
// Build. The caller may set ExpiresAt.
func NewPayload(now time.Time, sender Sender, records []Record) Payload {
	return Payload{
		Format:    FormatName,
		Version:   FormatVersion,
		ID:        NewBundleID(),
		CreatedAt: now.UTC().Truncate(time.Second),
		Sender:    sender,
		Records:   records,
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
// The access list is r's unrevoked entries other than the owner's.
func RecordFromSecret(r *secret.Record, self Party) Record {
	rec := Record{
		UID:      r.UID,
		Revision: r.Revision,
		Owner:    r.Owner,
		OwnerKey: r.OwnerKey,
		Portable: r.Portable(),
	}
	rec.CreatedAt, rec.UpdatedAt = rec.CreatedAt.UTC(), rec.UpdatedAt.UTC()
	if r.Mine() {
		rec.Owner, rec.OwnerKey = self.Name, self.Recipient
	} else {
		rec.Owner = strings.TrimSuffix(rec.Owner, UnverifiedSuffix)
	}
	for _, a := range r.Access {
		if a.Revoked() || a.Permission == secret.PermOwner || a.Recipient == "" {
			continue
		}
		rec.Access = append(rec.Access, Access{Name: a.Name, Recipient: a.Recipient, Permission: a.Permission, GrantedAt: a.GrantedAt.UTC()})
	}
	return rec
}

// Secret returns a new secret.Record holding rec's shared fields. The
// vault-local fields are left zero for the importer to set.
func (rec Record) Secret() *secret.Record {
	r := rec.Portable.Record()
	r.UID, r.Revision = rec.UID, rec.Revision
	r.Owner, r.OwnerKey = rec.Owner, rec.OwnerKey
	return r
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
	if len(p.Recipients) > MaxRecipients {
		return fmt.Errorf("recipients: more than %d", MaxRecipients)
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
	if len(p.Records) == 0 {
		return errors.New("records: empty")
	}
	if len(p.Records) > MaxRecords {
		return fmt.Errorf("records: more than %d", MaxRecords)
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
	if rec.Revision == 0 {
		return errors.New("revision: must be 1 or more")
	}
	if err := rec.Portable.Normalize(); err != nil {
		return err
	}
	if err := CanCarry(rec.ClientSecret.Value); err != nil {
		return fmt.Errorf("client_secret: %w", err)
	}
	if err := checkName("owner", rec.Owner); err != nil {
		return err
	}
	r, err := ParseRecipient(rec.OwnerKey)
	if err != nil {
		return fmt.Errorf("owner_key: %w", err)
	}
	rec.OwnerKey = r.Key()
	if len(rec.Access) > MaxRecipients {
		return fmt.Errorf("access: more than %d entries", MaxRecipients)
	}
	seen := make(map[string]bool, len(rec.Access))
	for i := range rec.Access {
		a := &rec.Access[i]
		if err := checkName(fmt.Sprintf("access[%d].name", i), a.Name); err != nil {
			return err
		}
		r, err := ParseRecipient(a.Recipient)
		if err != nil {
			return fmt.Errorf("access[%d].recipient: %w", i, err)
		}
		a.Recipient = r.Key()
		if seen[a.Recipient] || a.Recipient == rec.OwnerKey {
			return fmt.Errorf("access[%d]: a key listed twice, or the owner's", i)
		}
		seen[a.Recipient] = true
		if a.Permission != secret.PermView && a.Permission != secret.PermEdit {
			return fmt.Errorf("access[%d].permission: %q is not view or edit", i, a.Permission)
		}
	}
	return nil
}

// CanCarry returns nil when a bundle can carry the client secret v, and
// otherwise an error wrapping ErrNotPermitted. A bundle's client secret is
// a JSON string, which holds Unicode text: a secret that is not UTF-8 (a
// binary key, which the vault keeps byte for byte) would arrive with its
// bytes replaced by U+FFFD, a different secret, and its owner signature
// would no longer match.
func CanCarry(v secret.Value) error {
	if utf8.Valid(v.Bytes()) {
		return nil
	}
	return fmt.Errorf("%w: its client secret is not UTF-8 text, which a share bundle cannot carry", ErrNotPermitted)
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

// checkName checks a person's name: optional, one line of text with
// nothing invisible or direction-changing, by the vault's rule for owners.
func checkName(field, s string) error {
	if s == "" {
		return nil
	}
	if err := secret.ValidateOwner(s); err != nil {
		if fe, ok := errors.AsType[*secret.FieldError](err); ok {
			return fmt.Errorf("%s: %s", field, fe.Msg)
		}
		return fmt.Errorf("%s: %v", field, err)
	}
	return nil
}
