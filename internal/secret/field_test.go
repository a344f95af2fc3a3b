package secret

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseFieldAndValue(t *testing.T) {
	r := &Record{Name: "n", URL: "https://u.example", ClientID: "cid", ClientSecret: NewValue("cs"),
		Identifier: "ident", Method: "GET", Notes: "notes", TokenURL: "https://auth.example/token", TokenAuth: TokenAuthForm}
	for _, tc := range []struct {
		in    string
		field Field
		value string
	}{
		{"token-url", FieldTokenURL, "https://auth.example/token"},
		{"token_url", FieldTokenURL, "https://auth.example/token"},
		{"token-auth", FieldTokenAuth, "form"},
		{"client-secret", FieldClientSecret, "cs"},
		{"secret", FieldClientSecret, "cs"},
		{"client_secret", FieldClientSecret, "cs"},
		{"Client-Secret", FieldClientSecret, "cs"},
		{"client-id", FieldClientID, "cid"},
		{"client_id", FieldClientID, "cid"},
		{"CLIENT_ID", FieldClientID, "cid"},
		{"url", FieldURL, "https://u.example"},
		{"identifier", FieldIdentifier, "ident"},
		{"name", FieldName, "n"},
		{"method", FieldMethod, "GET"},
		{"notes", FieldNotes, "notes"},
	} {
		f, err := ParseField(tc.in)
		if err != nil || f != tc.field || f.Value(r) != tc.value {
			t.Errorf("ParseField(%q) = %v, %v (value %q); want %v, %q", tc.in, f, err, f.Value(r), tc.field, tc.value)
		}
	}
	for _, bad := range []string{"", "password", "tags", "owner", "id", "Client ID"} {
		if _, err := ParseField(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseField(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if got := Field(0).Value(r) + Field(200).Name(); got != "" {
		t.Errorf("no field reads %q", got)
	}
}

// TestFieldSpellings checks that every field's three spellings agree with
// each other and with the JSON shape: the name parses back to the field,
// the key is the name in snake_case and a key of the export objects.
func TestFieldSpellings(t *testing.T) {
	full := &Record{Name: "n", URL: "https://u.example", ClientID: "cid", ClientSecret: NewValue("cs"),
		Identifier: "ident", Method: "GET", Notes: "notes", TokenURL: "https://auth.example/token", TokenAuth: TokenAuthForm}
	b, err := json.Marshal(full.ToExport())
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]any{}
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range Fields() {
		if f.Name() == "" || f.Label() == "" || f.String() != f.Name() {
			t.Errorf("field %d has no name or label", f)
		}
		if g, err := ParseField(f.Name()); err != nil || g != f {
			t.Errorf("ParseField(%q) = %v, %v", f.Name(), g, err)
		}
		if f.Key() != strings.ReplaceAll(f.Name(), "-", "_") || keys[f.Key()] != f.Value(full) {
			t.Errorf("field %s has key %q, which is not its name in snake_case or not an export JSON key", f, f.Key())
		}
		if seen[f.Label()] {
			t.Errorf("two fields share the label %q", f.Label())
		}
		seen[f.Label()] = true
	}
	if len(FieldNames()) != 9 {
		t.Errorf("FieldNames() = %v", FieldNames())
	}
}
