package secret

import (
	"fmt"
	"strings"
)

// Field is one field of an API secret that can be read on its own (reveal
// --field, the /field part of a reference). One Field knows every spelling
// of its field: its name, which is also the name of the add and edit flag
// that sets it; its label in `show` and in messages; and its key in JSON
// and CSV. The zero Field is no field.
type Field uint8

// The fields, in the order help text lists them.
const (
	FieldClientSecret Field = iota + 1
	FieldClientID
	FieldURL
	FieldIdentifier
	FieldName
	FieldMethod
	FieldNotes
	FieldTokenURL
	FieldTokenAuth
)

// fieldSpec is what a Field knows about itself.
type fieldSpec struct{ name, label, key string }

// fieldSpecs is indexed by Field. It is read, never changed.
var fieldSpecs = [...]fieldSpec{
	FieldClientSecret: {"client-secret", "Client secret", "client_secret"},
	FieldClientID:     {"client-id", "Client ID", "client_id"},
	FieldURL:          {"url", "URL", "url"},
	FieldIdentifier:   {"identifier", "Identifier", "identifier"},
	FieldName:         {"name", "Name", "name"},
	FieldMethod:       {"method", "Method", "method"},
	FieldNotes:        {"notes", "Notes", "notes"},
	FieldTokenURL:     {"token-url", "Token URL", "token_url"},
	FieldTokenAuth:    {"token-auth", "Token auth", "token_auth"},
}

func (f Field) spec() fieldSpec {
	if int(f) < len(fieldSpecs) {
		return fieldSpecs[f]
	}
	return fieldSpec{}
}

// Name is the field's name ("client-id"): the value of reveal --field, the
// field part of a reference and the name of the flag that sets it.
func (f Field) Name() string { return f.spec().name }

// Label is the field's name for people ("Client ID"), as `show` prints it.
func (f Field) Label() string { return f.spec().label }

// Key is the field's key in JSON objects and CSV headers ("client_id").
func (f Field) Key() string { return f.spec().key }

// String returns the field's name.
func (f Field) String() string { return f.Name() }

// Fields returns every field, in the order help text lists them.
func Fields() []Field {
	out := make([]Field, 0, len(fieldSpecs)-1)
	for f := FieldClientSecret; int(f) < len(fieldSpecs); f++ {
		out = append(out, f)
	}
	return out
}

// FieldNames returns the names of every field, in the order of Fields.
func FieldNames() []string {
	var out []string
	for _, f := range Fields() {
		out = append(out, f.Name())
	}
	return out
}

// ParseField returns the field a name stands for: its name, its JSON key
// (client_id) in any case, or "secret" for the client secret. Anything else
// is a *FieldError that lists the names.
func ParseField(s string) (Field, error) {
	n := strings.ReplaceAll(strings.ToLower(s), "_", "-")
	if n == "secret" {
		return FieldClientSecret, nil
	}
	for _, f := range Fields() {
		if f.Name() == n {
			return f, nil
		}
	}
	return 0, &FieldError{Field: "field", Msg: fmt.Sprintf("unknown field %q (want one of %s)", s, strings.Join(FieldNames(), ", "))}
}

// Value returns the field's value in r; the client secret is revealed.
func (f Field) Value(r *Record) string {
	switch f {
	case FieldClientSecret:
		return r.ClientSecret.Reveal()
	case FieldClientID:
		return r.ClientID
	case FieldURL:
		return r.URL
	case FieldIdentifier:
		return r.Identifier
	case FieldName:
		return r.Name
	case FieldMethod:
		return r.Method
	case FieldNotes:
		return r.Notes
	case FieldTokenURL:
		return r.TokenURL
	case FieldTokenAuth:
		return r.TokenAuth
	}
	return ""
}
