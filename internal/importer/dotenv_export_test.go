package importer

import (
	"bytes"
	"testing"

	"github.com/mysafe/mysafe/internal/secret"
)

// TestDotenvRoundTrip checks that what `mysafe export --format dotenv`
// writes reads back unchanged, for values that shells and loaders treat
// specially.
func TestDotenvRoundTrip(t *testing.T) {
	values := []string{"plain", "", "with space", "it's", `dq "x"`, "dollar $HOME ${X}", "back\\slash", "multi\nline", "tick `cmd`", "#hash", "trailing ", "=eq"}
	var recs []*secret.Record
	for i, v := range values {
		recs = append(recs, &secret.Record{Name: "n" + string(rune('a'+i)), URL: "https://x.example", ClientSecret: secret.NewValue(v)})
	}
	var buf bytes.Buffer
	if err := secret.WriteDotenv(&buf, recs); err != nil {
		t.Fatal(err)
	}
	vars, err := parseDotenv(buf.Bytes())
	if err != nil {
		t.Fatalf("parse of the export: %v\n%s", err, buf.String())
	}
	if len(vars) != len(values) {
		t.Fatalf("%d variables, want %d:\n%s", len(vars), len(values), buf.String())
	}
	for i, v := range vars {
		if v.Value != values[i] || v.Name != secret.EnvName(recs[i]) {
			t.Errorf("variable %d = %s=%q, want %s=%q", i, v.Name, v.Value, secret.EnvName(recs[i]), values[i])
		}
	}
}

func TestDotenvNames(t *testing.T) {
	for _, tc := range []struct{ name, ident, want string }{
		{"payments-prod", "", "PAYMENTS_PROD"},
		{"Payments API", "pay.v2", "PAY_V2"},
		{"2fa", "", "_2FA"},
		{"ünïcode", "", "_N_CODE"},
	} {
		if got := secret.EnvName(&secret.Record{Name: tc.name, Identifier: tc.ident}); got != tc.want {
			t.Errorf("EnvName(%q, %q) = %q, want %q", tc.name, tc.ident, got, tc.want)
		}
	}
	var buf bytes.Buffer
	err := secret.WriteDotenv(&buf, []*secret.Record{{Name: "a-b"}, {Name: "a_b"}})
	if err == nil || buf.Len() != 0 {
		t.Fatalf("two records with one variable name: err %v, wrote %q", err, buf.String())
	}
}
