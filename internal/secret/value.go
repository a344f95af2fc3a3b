package secret

import "fmt"

// Value holds a protected string such as a client secret. Its String, Format
// and JSON forms never show the content, so a Value that ends up in a log
// line, an error message or a debug print does not leak; Reveal is the one
// deliberate way to read it.
type Value struct {
	b []byte
}

// NewValue returns a Value holding a copy of s.
func NewValue(s string) Value { return Value{b: []byte(s)} }

// NewValueBytes returns a Value holding a copy of b.
func NewValueBytes(b []byte) Value { return Value{b: append([]byte(nil), b...)} }

// Reveal returns the protected content.
func (v Value) Reveal() string { return string(v.b) }

// Bytes returns the protected content; the caller must not modify it.
func (v Value) Bytes() []byte { return v.b }

// IsZero reports whether the Value is empty.
func (v Value) IsZero() bool { return len(v.b) == 0 }

// Equal reports whether two Values hold the same content.
func (v Value) Equal(o Value) bool { return string(v.b) == string(o.b) }

// String returns "(elided)" or "" for an empty Value.
func (v Value) String() string {
	if len(v.b) == 0 {
		return ""
	}
	return "(elided)"
}

// Format makes every fmt verb, %#v included, print the elided form.
func (v Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.String())) }

// MarshalJSON refuses to encode the content: JSON output that should carry a
// secret must copy it out with Reveal on purpose.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"(elided)"`), nil }
