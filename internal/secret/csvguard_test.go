package secret

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestGuardCSVCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"payments", "payments"},
		{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"'=1", "''=1"},
		{"''+1", "'''+1"},
		{"'plain", "'plain"},
		{"'", "'"},
		{"a=b", "a=b"},
		{" =1", " =1"},
	} {
		if got := GuardCSVCell(tc.in); got != tc.want {
			t.Errorf("GuardCSVCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := UnguardCSVCell(GuardCSVCell(tc.in)); back != tc.in {
			t.Errorf("UnguardCSVCell(GuardCSVCell(%q)) = %q", tc.in, back)
		}
	}
}

// An exported CSV has no cell a spreadsheet would run, and importing it
// gives back every field exactly.
func TestCSVFormulaRoundTrip(t *testing.T) {
	r := &Record{Name: "=cmd|' /C calc'!A0", URL: "https://x.example/=1", ClientID: "+app", ClientSecret: NewValue("-secret@"),
		Identifier: "@id", Method: "GET", Tags: []string{"-prod", "=x"}, Notes: "'=already quoted"}
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteExportCSV(&buf, []*Record{r}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		for _, cell := range strings.Split(line, ",") {
			cell = strings.TrimPrefix(cell, `"`)
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q starts a formula in:\n%s", cell, buf.String())
			}
		}
	}
	got, err := ReadImportCSV(&buf)
	if err != nil || len(got) != 1 {
		t.Fatalf("ReadImportCSV = %v, %v", got, err)
	}
	g := got[0]
	if g.Name != r.Name || g.ClientID != r.ClientID || g.ClientSecret.Reveal() != r.ClientSecret.Reveal() ||
		g.Identifier != r.Identifier || strings.Join(g.Tags, " ") != strings.Join(r.Tags, " ") || g.Notes != r.Notes {
		t.Errorf("round trip changed the record:\n got %+v\nwant %+v", g, r)
	}
}

// A client secret that is not UTF-8 survives a JSON export and import.
func TestJSONRoundTripNonUTF8Secret(t *testing.T) {
	for _, secret := range [][]byte{{0xff, 0xfe, 0x00, 0x80}, []byte("caf\xe9"), []byte("plain"), {}} {
		r := &Record{Name: "n", URL: "https://x.example", ClientID: "c", ClientSecret: NewValueBytes(secret)}
		e := r.ToExport()
		var buf bytes.Buffer
		buf.WriteString("[")
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteString("]")
		got, err := ReadImportJSON(&buf)
		if err != nil {
			t.Fatalf("%q: %v", secret, err)
		}
		if !bytes.Equal(got[0].ClientSecret.Bytes(), secret) {
			t.Errorf("secret %q came back as %q", secret, got[0].ClientSecret.Bytes())
		}
		if strings.Contains(string(b), "\\ufffd") {
			t.Errorf("export of %q replaced bytes: %s", secret, b)
		}
	}
	bad := `[{"name":"n","url":"https://x.example","client_id":"c","client_secret":"x","client_secret_base64":"eA=="}]`
	if _, err := ReadImportJSON(strings.NewReader(bad)); err == nil {
		t.Error("both client_secret and client_secret_base64 accepted")
	}
	if _, err := ReadImportJSON(strings.NewReader(`[{"name":"n","url":"https://x.example","client_id":"c","client_secret_base64":"!!"}]`)); err == nil {
		t.Error("invalid base64 accepted")
	}
}
