// Package ref parses and resolves secret references: mysafe://REF/field,
// where REF names an API secret as every command does (identifier, id or
// exact name) and field is a field reveal --field accepts; without /field
// the reference is to the client secret. mysafe://REF/token, optionally
// with ?scope=a+b and &audience=URI, is an OAuth 2.0 access token fetched
// with the API secret's client ID and secret when the reference resolves.
//
// References appear in `mysafe exec --env NAME=REF[/field]` (where the
// mysafe:// prefix may be left out), as values in the dotenv file of
// `mysafe exec --env-file`, and inside {{ }} in the templates of
// `mysafe inject`. Resolving a set of references is all or nothing: one
// unknown reference fails them all, before anything is run or written.
package ref

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mysafe/mysafe/internal/oauth"
	"github.com/mysafe/mysafe/internal/secret"
)

// Scheme starts every reference written out in full.
const Scheme = "mysafe://"

// maxLen bounds a reference; names and identifiers are far shorter.
const maxLen = 1024

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("invalid reference")

// TokenField is what follows REF/ in a reference to an access token: not a
// stored field, but the token the API secret's client ID and secret get
// from its token endpoint (`mysafe token`).
const TokenField = "token"

// Ref is one parsed reference. It is comparable, and two references that
// ask for the same value are equal.
type Ref struct {
	// Record names the API secret: its identifier, id or exact name.
	Record string
	// Field is the field the reference reads; the zero Field for a token.
	Field secret.Field
	// Token marks a reference to an access token (REF/token).
	Token bool
	// Scope and Audience are what a token reference asks for: the scopes
	// space-separated, without repetition, in the order written (empty for
	// the server's default), and the audience parameter (empty for none).
	Scope    string
	Audience string
}

// String writes r out in full, with the scheme, the field and, for a token,
// the query.
func (r Ref) String() string {
	if !r.Token {
		return Scheme + r.Record + "/" + r.Field.Name()
	}
	s := Scheme + r.Record + "/" + TokenField
	q := url.Values{}
	if r.Scope != "" {
		q.Set("scope", r.Scope)
	}
	if r.Audience != "" {
		q.Set("audience", r.Audience)
	}
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// Scopes returns a token reference's scopes, nil for none.
func (r Ref) Scopes() []string { return strings.Fields(r.Scope) }

// Parse parses a reference written out in full: mysafe://REF,
// mysafe://REF/field or mysafe://REF/token?scope=a+b&audience=URI. When
// REF/... has a slash, what follows the last one must be a field name: a
// record whose name has a slash in it is referred to by its identifier or
// id. A query goes only with /token; it may repeat scope (each may hold
// several, space-separated: "+" in a query), and give audience once.
func Parse(s string) (Ref, error) {
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return Ref{}, fmt.Errorf("%w %q: it must start with %s", ErrSyntax, clip(s), Scheme)
	}
	return parseBody(rest)
}

// ParseShort parses REF, REF/field or a full reference, as --env takes.
func ParseShort(s string) (Ref, error) {
	if strings.HasPrefix(s, Scheme) {
		return Parse(s)
	}
	return parseBody(s)
}

// IsRef reports whether s is written as a reference (starts with the
// scheme), which is how a dotenv value or template says it is one.
func IsRef(s string) bool { return strings.HasPrefix(s, Scheme) }

func parseBody(s string) (Ref, error) {
	if len(s) > maxLen {
		return Ref{}, fmt.Errorf("%w: longer than %d bytes", ErrSyntax, maxLen)
	}
	if !utf8.ValidString(s) {
		return Ref{}, fmt.Errorf("%w: not valid UTF-8", ErrSyntax)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return Ref{}, fmt.Errorf("%w %q: it contains a control character", ErrSyntax, clip(s))
	}
	if i := strings.Index(s, "/"+TokenField+"?"); i >= 0 {
		return parseToken(s, s[:i], s[i+len(TokenField)+2:])
	}
	if rec, ok := strings.CutSuffix(s, "/"+TokenField); ok {
		return parseToken(s, rec, "")
	}
	r := Ref{Record: s, Field: secret.FieldClientSecret}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		f, err := secret.ParseField(s[i+1:])
		if err != nil {
			return Ref{}, fmt.Errorf("%w %q: %q is not a field (want one of %s, or %s)", ErrSyntax, clip(s), s[i+1:], strings.Join(secret.FieldNames(), ", "), TokenField)
		}
		r.Record, r.Field = s[:i], f
	}
	if strings.TrimSpace(r.Record) == "" {
		return Ref{}, fmt.Errorf("%w %q: it names no API secret", ErrSyntax, clip(s))
	}
	return r, nil
}

// parseToken parses a token reference: record, and the query after "?".
func parseToken(s, record, query string) (Ref, error) {
	r := Ref{Record: record, Token: true}
	if strings.TrimSpace(r.Record) == "" {
		return Ref{}, fmt.Errorf("%w %q: it names no API secret", ErrSyntax, clip(s))
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return Ref{}, fmt.Errorf("%w %q: the query after ? is not name=value&...", ErrSyntax, clip(s))
	}
	for k, v := range q {
		switch {
		case k == "scope":
			scopes, err := oauth.NormalizeScopes(v)
			if err != nil {
				return Ref{}, fmt.Errorf("%w %q: %v", ErrSyntax, clip(s), strings.TrimPrefix(err.Error(), oauth.ErrInvalid.Error()+": "))
			}
			r.Scope = strings.Join(scopes, " ")
		case k == "audience" && len(v) == 1 && v[0] != "":
			if err := oauth.CheckAudience(v[0]); err != nil {
				return Ref{}, fmt.Errorf("%w %q: the audience must be one line of text", ErrSyntax, clip(s))
			}
			r.Audience = v[0]
		case k == "audience":
			return Ref{}, fmt.Errorf("%w %q: give one audience", ErrSyntax, clip(s))
		default:
			return Ref{}, fmt.Errorf("%w %q: a token reference takes scope and audience, not %q", ErrSyntax, clip(s), clip(k))
		}
	}
	return r, nil
}

// clip shortens what a message quotes.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// Finder looks an API secret up by REF, as vault transactions do.
type Finder func(ref string) (*secret.Record, error)

// NotFoundError reports a reference to a record or value that does not
// exist. It wraps the finder's error (secret.ErrNotFound, an ambiguity, ...)
// or ErrEmptySecret.
type NotFoundError struct {
	Ref Ref
	Err error
}

func (e *NotFoundError) Error() string { return e.Ref.String() + ": " + e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

// ErrEmptySecret means a reference asks for a client secret that was never
// set: handing a command an empty secret would only fail later, less clearly.
var ErrEmptySecret = errors.New("the API secret has no client secret")

// TokenFunc gets the access token a token reference r asks for, with the
// client ID and secret of rec, the API secret r names.
type TokenFunc func(rec *secret.Record, r Ref) (string, error)

// ErrNoTokens is returned by Resolve for a token reference where no
// TokenFunc was given.
var ErrNoTokens = errors.New("access token references (/token) are not available here")

// Resolve looks every reference up and returns their values. It fails on the
// first reference that does not resolve, with a *NotFoundError. Tokens are
// fetched with token only once every reference has resolved, so nothing is
// sent to a token endpoint for a set of references that fails; the first
// error of token is returned as it is.
func Resolve(refs []Ref, find Finder, token TokenFunc) (map[Ref]string, error) {
	out := make(map[Ref]string, len(refs))
	tokens := map[Ref]*secret.Record{}
	var order []Ref
	for _, r := range refs {
		if _, done := out[r]; done {
			continue
		}
		if _, done := tokens[r]; done {
			continue
		}
		rec, err := find(r.Record)
		if err != nil {
			return nil, &NotFoundError{Ref: r, Err: err}
		}
		if r.Token {
			if rec.ClientSecret.IsZero() {
				return nil, &NotFoundError{Ref: r, Err: ErrEmptySecret}
			}
			if token == nil {
				return nil, fmt.Errorf("%s: %w", r, ErrNoTokens)
			}
			tokens[r] = rec
			order = append(order, r)
			continue
		}
		v := r.Field.Value(rec)
		if v == "" && r.Field == secret.FieldClientSecret {
			return nil, &NotFoundError{Ref: r, Err: ErrEmptySecret}
		}
		out[r] = v
	}
	for _, r := range order {
		v, err := token(tokens[r], r)
		if err != nil {
			return nil, err
		}
		out[r] = v
	}
	return out, nil
}
