package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// sameShared reports whether two records agree on every field an export
// carries and an import keeps.
func sameShared(a, b *Record) bool {
	return a.Name == b.Name && a.URL == b.URL && a.ClientID == b.ClientID && a.ClientSecret.Equal(b.ClientSecret) &&
		a.Identifier == b.Identifier && a.Method == b.Method && strings.Join(a.Tags, "\x00") == strings.Join(b.Tags, "\x00") &&
		a.Notes == b.Notes
}

// FuzzReadImportJSON feeds arbitrary bytes to the JSON import: it must
// never panic, return only records that pass Normalize, and what it accepts
// must come back unchanged through export and import.
func FuzzReadImportJSON(f *testing.F) {
	for _, s := range []string{
		`[]`,
		`[{"name":"n","url":"https://x.example","client_id":"c","client_secret":"s","tags":["a","B"],"notes":"x\ny"}]`,
		`[{"name":"n","url":"https://x.example","client_id":"c","client_secret_base64":"/4D+AA=="}]`,
		`[{"name":"n","url":"https://x.example","client_id":"c","created_at":"2024-01-02T03:04:05Z","method":"post"}]`,
		`[{"name":"n","url":"https://x.example","client_id":"c","unknown":1}]`,
		`{"not":"an array"}`,
		`[{"name":"\u202e","url":"https://x.example","client_id":"c"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadImportJSON(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error that is not ErrInvalid: %v", err)
			}
			return
		}
		out := make([]ExportJSON, len(recs))
		for i, r := range recs {
			if err := r.Clone().Normalize(); err != nil {
				t.Fatalf("accepted a record that fails Normalize: %v", err)
			}
			out[i] = r.ToExport()
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ReadImportJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("own export refused: %v\n%s", err, b)
		}
		for i := range recs {
			if !sameShared(recs[i], again[i]) {
				t.Fatalf("round trip changed record %d:\n%+v\n%+v", i, recs[i], again[i])
			}
		}
	})
}

// FuzzReadImportCSV does the same for the CSV import and export, formula
// guards included.
func FuzzReadImportCSV(f *testing.F) {
	for _, s := range []string{
		"name,url,client_id\nn,https://x.example,c\n",
		"\ufeffname,url,client_id,client_secret,tags,notes\n'=1,https://x.example,'+c,s,a b,\"multi\nline\"\n",
		"name,url\nn,https://x.example\n",
		"name,url,client_id,created_at\nn,https://x.example,c,yesterday\n",
		"bogus\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadImportCSV(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error that is not ErrInvalid: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteExportCSV(&buf, recs); err != nil {
			t.Fatal(err)
		}
		again, err := ReadImportCSV(&buf)
		if err != nil {
			t.Fatalf("own export refused: %v", err)
		}
		if len(again) != len(recs) {
			t.Fatalf("%d records came back, want %d", len(again), len(recs))
		}
		for i := range recs {
			if !sameShared(recs[i], again[i]) {
				t.Fatalf("round trip changed record %d:\n%+v\n%+v", i, recs[i], again[i])
			}
		}
	})
}

// FuzzGuardCSVCell checks that the formula guard is undone exactly and
// leaves no cell that starts a formula.
func FuzzGuardCSVCell(f *testing.F) {
	for _, s := range []string{"", "=1", "'=1", "''", "-", "a", "\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g := GuardCSVCell(s)
		if UnguardCSVCell(g) != s {
			t.Fatalf("Unguard(Guard(%q)) = %q", s, UnguardCSVCell(g))
		}
		if g != "" && strings.IndexByte(csvFormulaLeads, g[0]) >= 0 {
			t.Fatalf("Guard(%q) = %q starts a formula", s, g)
		}
	})
}

// FuzzFind resolves arbitrary references against a fixed set of records:
// a result is always one of the records and actually matches the reference.
func FuzzFind(f *testing.F) {
	recs := []*Record{
		{ID: "0123456789abcdef", Name: "payments", Identifier: "pay-prod"},
		{ID: "fedcba9876543210", Name: "pay-prod", Identifier: "other"},
		{ID: "00000000000000aa", Name: "Zürich 支付"},
		{ID: "00000000000000bb", Name: "Zürich 支付"},
	}
	for _, s := range []string{"payments", "PAY-PROD", "0123456789abcdef", "Zürich 支付", "", "other", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		r, err := Find(recs, ref)
		if err != nil {
			var amb *AmbiguousError
			if !errors.Is(err, ErrNotFound) && !errors.As(err, &amb) {
				t.Fatalf("Find(%q): unexpected error %v", ref, err)
			}
			return
		}
		if r.ID != ref && r.Name != ref && !SameIdentifier(r.Identifier, ref) {
			t.Fatalf("Find(%q) = %+v, which does not match", ref, r)
		}
	})
}
