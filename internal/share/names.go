package share

import (
	"strings"

	"go.mau.fi/util/confusable"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// lookalikeKey returns the form under which two identifiers or names count
// as the same to a reader: the Unicode confusable skeleton (UTS #39, so
// that Cyrillic "а" and Latin "a" agree) of the string with full-width and
// half-width forms folded to their ordinary width and letters folded to
// lower case. It is only for comparing, never for showing.
func lookalikeKey(s string) string {
	s = norm.NFKC.String(width.Fold.String(s))
	// The skeleton first, so that a capital I confusable with l counts as
	// l before case folding turns it into i; then lower case, and the
	// skeleton again for what lower case letters look like ("m" and "rn").
	s = strings.ToLower(confusable.Skeleton(s))
	return confusable.Skeleton(s)
}

// Lookalike reports whether a and b would look the same, or nearly, to a
// person: equal after case, width and confusable folding.
func Lookalike(a, b string) bool { return lookalikeKey(a) == lookalikeKey(b) }

// FromSuffix returns how an imported name that collides with another
// record's name is shown: "payments (from dave)".
func FromSuffix(name, sender string) string { return name + " (from " + sender + ")" }
