// Package secret defines the API-secret record kept in a mysafe vault: its
// fields, the rules they obey, the JSON shape shown to users and scripts, and
// the compact binary form the vault encrypts.
//
// The package knows nothing about storage, encryption or the command line.
package secret

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mysafe/mysafe/internal/display"
)

// Permission is what a user may do with a record.
type Permission string

// The permissions a record can carry. A record I created is PermOwner; a
// record imported from a share bundle carries the permission it was shared
// with.
const (
	PermOwner Permission = "owner"
	PermView  Permission = "view"
	PermEdit  Permission = "edit"
)

// ParsePermission accepts "view" or "edit" in any case.
func ParsePermission(s string) (Permission, error) {
	switch p := Permission(strings.ToLower(strings.TrimSpace(s))); p {
	case PermView, PermEdit:
		return p, nil
	}
	return "", &FieldError{Field: "permission", Msg: fmt.Sprintf("unknown permission %q (want view or edit)", s)}
}

// Access is one entry of a record's "users with access" list.
type Access struct {
	Name       string     // contact name, or the owner's name
	Recipient  string     // the user's public key, empty for the local owner
	Permission Permission // owner, view or edit
	GrantedAt  time.Time
	RevokedAt  time.Time // zero while access stands
}

// Revoked reports whether access was withdrawn.
func (a Access) Revoked() bool { return !a.RevokedAt.IsZero() }

// Record is one API secret.
type Record struct {
	ID           string // vault-local id, 16 hex digits
	UID          string // id shared by every copy of this record across vaults, 32 hex digits
	Name         string
	URL          string
	ClientID     string
	ClientSecret Value
	Identifier   string
	Method       string
	Tags         []string
	Notes        string

	// TokenURL is the OAuth 2.0 token endpoint, when it differs from URL;
	// TokenAuth is how the client authenticates there (TokenAuthBasic or
	// TokenAuthForm; empty means TokenAuthBasic). Both are optional.
	TokenURL  string
	TokenAuth string

	Owner      string     // the owner's name
	OwnerKey   string     // the owner's public sharing key; empty when the vault's own user owns it
	Permission Permission // what this vault's user may do with it
	CreatedAt  time.Time
	UpdatedAt  time.Time
	LastUsedAt time.Time // zero when never revealed
	Access     []Access

	// Revision counts changes to the shared fields (everything a share bundle
	// carries). SyncedRevision is the revision last received or sent through a
	// share bundle; Revision > SyncedRevision means local changes not yet shared.
	Revision       uint64
	SyncedRevision uint64

	// OwnerUnverified is true for a record received from someone whose
	// claim to be its owner nothing verified (a stranger's or an unsigned
	// bundle). A revision signed by the owner replaces it whatever its
	// revision number.
	OwnerUnverified bool
}

// Methods returns the accepted HTTP methods.
func Methods() []string { return slices.Clone(methods) }

// methods lists the accepted HTTP methods. It is read, never changed.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// Limits on field sizes, generous for real use but keeping a record small.
const (
	MaxNameLen   = 256
	MaxFieldLen  = 4096
	MaxNotesLen  = 64 << 10
	MaxSecretLen = 64 << 10
	MaxTagLen    = 64
	MaxTags      = 64
)

// FieldError reports an invalid field value. Its message names the field and
// never contains the client secret.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ErrInvalid is wrapped by every validation error, so callers can map all of
// them to one exit code with errors.Is.
var ErrInvalid = errors.New("invalid input")

// Is makes errors.Is(err, ErrInvalid) true for a *FieldError.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// NewID returns a fresh vault-local record id.
func NewID() string { return randomHex(8) }

// NewUID returns a fresh cross-vault record id.
func NewUID() string { return randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("mysafe: system random source failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// LooksLikeID reports whether s has the shape of a record id.
func LooksLikeID(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// NormalizeMethod returns the upper-case method, or an error for an unknown one.
// An empty method stays empty.
func NormalizeMethod(m string) (string, error) {
	m = strings.ToUpper(strings.TrimSpace(m))
	if m == "" || slices.Contains(methods, m) {
		return m, nil
	}
	return "", &FieldError{Field: FieldMethod.Name(), Msg: fmt.Sprintf("unknown HTTP method %q (want one of %s)", m, strings.Join(methods, ", "))}
}

// ValidateTag checks one tag: a non-empty word with no spaces or commas.
func ValidateTag(t string) error {
	switch {
	case t == "":
		return &FieldError{Field: "tag", Msg: "empty tag"}
	case len(t) > MaxTagLen:
		return &FieldError{Field: "tag", Msg: fmt.Sprintf("tag longer than %d bytes", MaxTagLen)}
	case !utf8.ValidString(t):
		return &FieldError{Field: "tag", Msg: "tag is not valid UTF-8"}
	case strings.IndexFunc(t, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) >= 0:
		return &FieldError{Field: "tag", Msg: fmt.Sprintf("%q has a space or comma (tags are single words)", t)}
	}
	return checkVisible("tag", t)
}

// NormalizeTags validates tags, folds duplicates (compared without regard to
// case, keeping the first spelling) and sorts them. It stops at the first
// tag past MaxTags, so its time is linear in the input however long the list.
func NormalizeTags(tags []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool, min(len(tags), MaxTags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if err := ValidateTag(t); err != nil {
			return nil, err
		}
		if k := foldKey(t); !seen[k] {
			if len(out) == MaxTags {
				return nil, &FieldError{Field: "tags", Msg: fmt.Sprintf("more than %d tags", MaxTags)}
			}
			seen[k] = true
			out = append(out, t)
		}
	}
	SortTags(out)
	return out, nil
}

// foldKey maps s to a string that is the same for exactly the strings
// strings.EqualFold (and so HasTag) treats as equal: every rune becomes the
// smallest rune of its case-folding orbit.
func foldKey(s string) string {
	if isASCII(s) {
		// The smallest rune of an ASCII letter's orbit is its upper case.
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// SortTags sorts tags case-insensitively.
func SortTags(tags []string) {
	slices.SortFunc(tags, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
}

// HasTag reports whether tags holds t, compared without regard to case.
func HasTag(tags []string, t string) bool {
	return slices.ContainsFunc(tags, func(x string) bool { return strings.EqualFold(x, t) })
}

// SameIdentifier reports whether two identifiers collide. Identifiers are
// compared without regard to case, so "Payments" and "payments" cannot both
// exist: a user typing either one must reach one record.
func SameIdentifier(a, b string) bool { return a != "" && strings.EqualFold(a, b) }

// FoldIdentifier maps an identifier to one spelling of its case-insensitive
// class: SameIdentifier(a, b) implies FoldIdentifier(a) == FoldIdentifier(b),
// so the fold can key a map or a lookup hint.
func FoldIdentifier(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b = utf8.AppendRune(b, least)
	}
	return string(b)
}

func checkLine(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return &FieldError{Field: field, Msg: "required"}
	}
	if len(v) > max {
		return &FieldError{Field: field, Msg: fmt.Sprintf("longer than %d bytes", max)}
	}
	if !utf8.ValidString(v) {
		return &FieldError{Field: field, Msg: "not valid UTF-8"}
	}
	return checkVisible(field, v)
}

// checkVisible refuses the characters a terminal acts on or shows as nothing
// (controls, bidirectional controls, zero-width characters): in a name or an
// identifier they let two different values look the same, or one value look
// like another.
func checkVisible(field, v string) error {
	i := strings.IndexFunc(v, display.Unsafe)
	if i < 0 {
		return nil
	}
	r, _ := utf8.DecodeRuneInString(v[i:])
	switch {
	case unicode.IsControl(r):
		return &FieldError{Field: field, Msg: "contains a control character such as a newline or tab"}
	case display.IsBidiControl(r):
		return &FieldError{Field: field, Msg: fmt.Sprintf("contains the bidirectional control %U, which changes how text is shown", r)}
	}
	return &FieldError{Field: field, Msg: fmt.Sprintf("contains the invisible character %U", r)}
}

// ValidateURL checks that u is an absolute http or https URL with a host.
func ValidateURL(u string) error { return checkURL(FieldURL.Name(), u, true) }

// ValidateTokenURL checks an optional token URL: empty, or an absolute http
// or https URL with a host. Whether plain http may be used is decided when a
// token is fetched, not here.
func ValidateTokenURL(u string) error { return checkURL(FieldTokenURL.Name(), u, false) }

func checkURL(field, u string, required bool) error {
	if err := checkLine(field, u, MaxFieldLen, required); err != nil {
		return err
	}
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return &FieldError{Field: field, Msg: fmt.Sprintf("%q is not an absolute http(s) URL (for example https://api.example.com/v1)", u)}
	}
	return nil
}

// TokenEndpoint is where `mysafe token` sends the client ID and secret
// when no other endpoint is given: the token URL, else the URL.
func (r *Record) TokenEndpoint() string {
	if r.TokenURL != "" {
		return r.TokenURL
	}
	return r.URL
}

// TokenServer names the server that receives the client secret at the
// record's token endpoint: scheme, host and port, lower-cased, the
// scheme's default port spelt out ("https://auth.example.com:443"). Two
// endpoints on one server differ only by path. An endpoint that does not
// parse is its own server, named by itself; "" means none.
func (r *Record) TokenServer() string {
	e := r.TokenEndpoint()
	u, err := url.Parse(e)
	if err != nil || u.Host == "" {
		return e
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[scheme]
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	return scheme + "://" + net.JoinHostPort(host, port)
}

// ValidateOwner checks a person's name as shown for the owner of records:
// required, one line, nothing invisible or direction-changing.
func ValidateOwner(name string) error { return checkLine("owner", name, MaxNameLen, true) }

// URLFromHost returns "https://" + s when s is a bare hostname, optionally
// with a port and a path ("api.example.com", "localhost:8080/v1"), the way
// other tools often store a URL. Anything else, a URL with a scheme
// included, is returned unchanged for ValidateURL to judge.
func URLFromHost(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "://") || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return s
	}
	p, err := url.Parse("https://" + s)
	if err != nil || p.User != nil {
		return s
	}
	host := p.Hostname()
	if host == "" || (!strings.Contains(host, ".") && host != "localhost") {
		return s
	}
	for _, c := range host {
		if !(c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || unicode.IsLetter(c) || unicode.IsDigit(c)) {
			return s
		}
	}
	return "https://" + s
}

// How a client authenticates to a token endpoint (RFC 6749 section 2.3.1).
const (
	// TokenAuthBasic sends the client ID and secret in an HTTP Basic
	// Authorization header (client_secret_basic). It is the default.
	TokenAuthBasic = "basic"
	// TokenAuthForm sends them as client_id and client_secret in the
	// form body (client_secret_post).
	TokenAuthForm = "form"
)

// NormalizeTokenAuth returns the canonical token authentication style for s:
// "basic" or "form", also spelt as OAuth metadata names them
// (client_secret_basic, client_secret_post), in any case. An empty style
// stays empty and means basic.
func NormalizeTokenAuth(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case TokenAuthBasic, "client_secret_basic":
		return TokenAuthBasic, nil
	case TokenAuthForm, "client_secret_post":
		return TokenAuthForm, nil
	}
	return "", &FieldError{Field: FieldTokenAuth.Name(), Msg: fmt.Sprintf("unknown token authentication %q (want basic or form)", s)}
}

// ValidateIdentifier checks an identifier: optional, one line, no spaces.
func ValidateIdentifier(id string) error {
	if err := checkLine(FieldIdentifier.Name(), id, MaxNameLen, false); err != nil {
		return err
	}
	if strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		return &FieldError{Field: FieldIdentifier.Name(), Msg: fmt.Sprintf("%q has a space (identifiers are single words)", id)}
	}
	return nil
}

// Normalize trims and canonicalizes the user-editable fields and validates
// the whole record. It returns a *FieldError for the first problem found;
// Problems returns all of them.
func (r *Record) Normalize() error {
	if p := r.Problems(); len(p) > 0 {
		return p[0]
	}
	return nil
}

// Problems trims and canonicalizes the user-editable fields like Normalize
// and returns every problem of the record, one *FieldError per field at
// most, in field order. It returns nil for a valid record.
func (r *Record) Problems() []error {
	r.Name = strings.TrimSpace(r.Name)
	r.URL = strings.TrimSpace(r.URL)
	r.ClientID = strings.TrimSpace(r.ClientID)
	r.Identifier = strings.TrimSpace(r.Identifier)
	r.TokenURL = strings.TrimSpace(r.TokenURL)
	var out []error
	add := func(err error) {
		if err != nil {
			out = append(out, err)
		}
	}
	add(checkLine(FieldName.Name(), r.Name, MaxNameLen, true))
	add(ValidateURL(r.URL))
	add(checkLine(FieldClientID.Name(), r.ClientID, MaxFieldLen, true))
	add(ValidateIdentifier(r.Identifier))
	if m, err := NormalizeMethod(r.Method); err != nil {
		add(err)
	} else {
		r.Method = m
	}
	if tags, err := NormalizeTags(r.Tags); err != nil {
		add(err)
	} else {
		r.Tags = tags
	}
	add(ValidateTokenURL(r.TokenURL))
	if a, err := NormalizeTokenAuth(r.TokenAuth); err != nil {
		add(err)
	} else {
		r.TokenAuth = a
	}
	if len(r.Notes) > MaxNotesLen || !utf8.ValidString(r.Notes) {
		add(&FieldError{Field: FieldNotes.Name(), Msg: fmt.Sprintf("must be UTF-8 text of at most %d bytes", MaxNotesLen)})
	}
	if len(r.ClientSecret.b) > MaxSecretLen {
		add(&FieldError{Field: FieldClientSecret.Name(), Msg: fmt.Sprintf("longer than %d bytes", MaxSecretLen)})
	}
	return out
}

// Mine reports whether the vault's own user owns the record.
func (r *Record) Mine() bool { return r.Permission == PermOwner || r.Permission == "" }

// CanEdit reports whether the vault's user may change the shared fields.
func (r *Record) CanEdit() bool { return r.Mine() || r.Permission == PermEdit }

// Clone returns a deep copy.
func (r *Record) Clone() *Record {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.Access = slices.Clone(r.Access)
	c.ClientSecret = NewValueBytes(r.ClientSecret.b)
	return &c
}
