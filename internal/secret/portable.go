package secret

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// Portable is the portable record: the fields of an API secret that travel
// with it from one vault to another, client secret included, and nothing
// that belongs to one vault (its id, last use, the user's permission, the
// synced revision). It is the one definition of that shape and of its JSON
// members:
//
//   - a share bundle carries it, with the record's sharing identity (uid,
//     revision, owner, access list) around it, as the record its owner signs
//     (share.Record embeds it);
//   - `mysafe import --format json` reads it from each entry of a file
//     (DecodeImportJSON), next to the members an export adds;
//   - `mysafe export --format json` writes the same members inside the
//     `list --json` shape (ExportJSON), which keeps its documented order.
//
// The order of the fields is the order of the members in a bundle's
// signed encoding and must not change: owner signatures already made cover
// those exact bytes. A new field is added at the end of the JSON members
// it belongs with, with omitempty, so records without it encode as before.
type Portable struct {
	Name         string   `json:"name"`
	URL          string   `json:"url"`
	ClientID     string   `json:"client_id"`
	ClientSecret Clear    `json:"client_secret"`
	Identifier   string   `json:"identifier"`
	Method       string   `json:"method"`
	Tags         []string `json:"tags"`
	Notes        string   `json:"notes"`
	// TokenURL and TokenAuth are optional, and left out of the JSON when
	// empty: records without them encode as they did before they existed.
	TokenURL  string    `json:"token_url,omitempty"`
	TokenAuth string    `json:"token_auth,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Portable returns r's portable fields, with copies of its client secret
// and tags.
func (r *Record) Portable() Portable {
	return Portable{
		Name:         r.Name,
		URL:          r.URL,
		ClientID:     r.ClientID,
		ClientSecret: Clear{NewValueBytes(r.ClientSecret.Bytes())},
		Identifier:   r.Identifier,
		Method:       r.Method,
		Tags:         slices.Clone(r.Tags),
		Notes:        r.Notes,
		TokenURL:     r.TokenURL,
		TokenAuth:    r.TokenAuth,
		CreatedAt:    r.CreatedAt,
		UpdatedAt:    r.UpdatedAt,
	}
}

// Record returns a new record holding p's fields, with copies of its client
// secret and tags. The vault-local fields are left zero for the caller.
func (p *Portable) Record() *Record {
	r := &Record{}
	p.SetContent(r)
	r.CreatedAt = p.CreatedAt
	return r
}

// SetContent gives r p's content: every portable field but the creation
// time, which a new revision of a record does not change.
func (p *Portable) SetContent(r *Record) {
	r.Name, r.URL, r.ClientID = p.Name, p.URL, p.ClientID
	r.ClientSecret = NewValueBytes(p.ClientSecret.Bytes())
	r.Identifier, r.Method, r.Notes = p.Identifier, p.Method, p.Notes
	r.TokenURL, r.TokenAuth = p.TokenURL, p.TokenAuth
	r.Tags = slices.Clone(p.Tags)
	r.UpdatedAt = p.UpdatedAt
}

// Normalize validates p with the vault's rules for a record (see
// Record.Normalize) and keeps the normalized fields. Its errors are
// *FieldError and never contain the client secret.
func (p *Portable) Normalize() error {
	r := p.Record()
	if err := r.Normalize(); err != nil {
		return err
	}
	p.Name, p.URL, p.ClientID, p.Identifier = r.Name, r.URL, r.ClientID, r.Identifier
	p.Method, p.Tags = r.Method, r.Tags
	p.TokenURL, p.TokenAuth = r.TokenURL, r.TokenAuth
	return nil
}

// Clear is a Value that a file holds in clear: its JSON form is the content,
// as a JSON string, where Value's is "(elided)". Only the portable record
// uses it, for the client secret of an export or a share bundle; printed
// with fmt it is still elided.
//
// A JSON string is Unicode text: bytes that are not valid UTF-8 are written
// as U+FFFD, so a file meant to keep every byte says so beside it (see
// ExportJSON's client_secret_base64).
type Clear struct{ Value }

// MarshalJSON returns the content as a JSON string, as encoding/json writes
// a string: bytes that are not UTF-8 become U+FFFD, and HTML characters are
// escaped only when the encoder escapes them.
func (c Clear) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c.Reveal()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalText sets the content to a copy of b. It is UnmarshalText, not
// UnmarshalJSON, so that a member of the wrong type is reported like any
// other and decoding goes on.
func (c *Clear) UnmarshalText(b []byte) error {
	c.Value = NewValueBytes(b)
	return nil
}
