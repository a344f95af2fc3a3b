package secret

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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
type NotFoundError struct{ Ref string }

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
