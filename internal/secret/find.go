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

// Find resolves ref to exactly one record. A reference is an identifier
// (compared without regard to case), a record id, or an exact name. When
// different records match in different ways ("prod" is one record's
// identifier and another's name) the reference is ambiguous: acting on the
// wrong secret is worse than asking the user to be precise.
func Find(records []*Record, ref string) (*Record, error) {
	var found []*Record
	for _, r := range records {
		if SameIdentifier(r.Identifier, ref) || r.ID == ref || r.Name == ref {
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
