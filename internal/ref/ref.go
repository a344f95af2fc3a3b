// Package ref parses and resolves secret references: mysafe://REF/field,
// where REF names an API secret as every command does (identifier, id or
// exact name) and field is a field reveal --field accepts; without /field
// the reference is to the client secret.
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
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mysafe/mysafe/internal/secret"
)

// Scheme starts every reference written out in full.
const Scheme = "mysafe://"

// maxLen bounds a reference; names and identifiers are far shorter.
const maxLen = 1024

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("invalid reference")

// Ref is one parsed reference.
type Ref struct {
	// Record names the API secret: its identifier, id or exact name.
	Record string
	// Field is the field the reference reads.
	Field secret.Field
}

// String writes r out in full, with the scheme and the field.
func (r Ref) String() string { return Scheme + r.Record + "/" + r.Field.Name() }

// Parse parses a reference written out in full: mysafe://REF or
// mysafe://REF/field. When REF/... has a slash, what follows the last one
// must be a field name: a record whose name has a slash in it is referred to
// by its identifier or id.
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
	r := Ref{Record: s, Field: secret.FieldClientSecret}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		f, err := secret.ParseField(s[i+1:])
		if err != nil {
			return Ref{}, fmt.Errorf("%w %q: %q is not a field (want one of %s)", ErrSyntax, clip(s), s[i+1:], strings.Join(secret.FieldNames(), ", "))
		}
		r.Record, r.Field = s[:i], f
	}
	if strings.TrimSpace(r.Record) == "" {
		return Ref{}, fmt.Errorf("%w %q: it names no API secret", ErrSyntax, clip(s))
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

// Resolve looks every reference up and returns their values. It fails on the
// first reference that does not resolve, with a *NotFoundError.
func Resolve(refs []Ref, find Finder) (map[Ref]string, error) {
	out := make(map[Ref]string, len(refs))
	for _, r := range refs {
		if _, done := out[r]; done {
			continue
		}
		rec, err := find(r.Record)
		if err != nil {
			return nil, &NotFoundError{Ref: r, Err: err}
		}
		v := r.Field.Value(rec)
		if v == "" && r.Field == secret.FieldClientSecret {
			return nil, &NotFoundError{Ref: r, Err: ErrEmptySecret}
		}
		out[r] = v
	}
	return out, nil
}
