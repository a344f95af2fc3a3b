package secret

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
)

// ErrNotFound is returned when no record matches a reference.
var ErrNotFound = errors.New("no such API secret")

// AmbiguousError is returned when a reference matches more than one record.
// Its message lists the candidates so the user can pick one by id.
type AmbiguousError struct {
	Ref        string
	Candidates []*Record
}

func (e *AmbiguousError) Error() string {
	parts := make([]string, 0, len(e.Candidates))
	for _, r := range e.Candidates {
		s := r.ID + " (" + r.Name
		if r.Identifier != "" {
			s += ", identifier " + r.Identifier
		}
		parts = append(parts, s+")")
	}
	return fmt.Sprintf("%q matches %d API secrets: %s; use the id", e.Ref, len(e.Candidates), strings.Join(parts, ", "))
}

// NotFoundError names the reference that matched nothing; it wraps ErrNotFound.
type NotFoundError struct {
	Ref string
	// Suggestions are names or identifiers ref was probably meant to be
	// (see Suggest); the message leaves them out, a hint shows them.
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no API secret with identifier, name or id %q", e.Ref)
}

func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// Matches reports whether ref names r: r's identifier (compared without
// regard to case), r's id, or r's exact name. It is the one definition of
// what a reference matches; Find and the vault's lookup (through RefKeys)
// both rest on it.
func Matches(r *Record, ref string) bool {
	return SameIdentifier(r.Identifier, ref) || r.ID == ref || r.Name == ref
}

// Keys are the index keys under which the records a reference may match are
// found: Matches(r, ref) implies r.ID == k.ID, or
// FoldIdentifier(r.Identifier) == k.Identifier, or r.Name == k.Name. An
// index keyed this way (the vault's lookup hints) can hand Find a short list
// of candidates instead of every record.
type Keys struct {
	// ID is ref when it has the shape of a record id, else "".
	ID string
	// Identifier is ref folded as identifiers are compared.
	Identifier string
	// Name is ref itself: names are exact.
	Name string
}

// RefKeys returns the keys of ref. See Keys.
func RefKeys(ref string) Keys {
	k := Keys{Identifier: FoldIdentifier(ref), Name: ref}
	if LooksLikeID(ref) {
		k.ID = ref
	}
	return k
}

// Find resolves ref to exactly one record among records, by Matches. When
// different records match in different ways ("prod" is one record's
// identifier and another's name) the reference is ambiguous: acting on the
// wrong secret is worse than asking the user to be precise.
func Find(records []*Record, ref string) (*Record, error) {
	var found []*Record
	for _, r := range records {
		if Matches(r, ref) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return nil, &NotFoundError{Ref: ref}
	case 1:
		return found[0], nil
	}
	slices.SortFunc(found, func(a, b *Record) int { return strings.Compare(a.ID, b.ID) })
	return nil, &AmbiguousError{Ref: ref, Candidates: found}
}

// Suggest returns the names and identifiers of records that ref, which
// matched none of them, was probably meant to be: the same but for case,
// starting with ref (three characters or more), or within two edits of it
// (one for a ref of four characters or fewer). At most three, closest
// first, each once. The caller passes the user's own records only: a
// suggestion shows a name.
func Suggest(records []*Record, ref string) []string {
	type cand struct {
		s    string
		dist int
	}
	lref := strings.ToLower(ref)
	limit := 2
	if len([]rune(ref)) <= 4 {
		limit = 1
	}
	var cands []cand
	seen := map[string]bool{}
	consider := func(s string) {
		if s == "" || s == ref || seen[s] {
			return
		}
		ls := strings.ToLower(s)
		d := levenshtein.ComputeDistance(lref, ls)
		switch {
		case ls == lref:
			d = 0
		case len(lref) >= 3 && strings.HasPrefix(ls, lref):
			d = min(d, limit)
		case d > limit:
			return
		}
		seen[s] = true
		cands = append(cands, cand{s, d})
	}
	for _, r := range records {
		consider(r.Identifier)
		consider(r.Name)
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		return strings.Compare(a.s, b.s)
	})
	out := make([]string, 0, 3)
	for _, c := range cands[:min(len(cands), 3)] {
		out = append(out, c.s)
	}
	return out
}
