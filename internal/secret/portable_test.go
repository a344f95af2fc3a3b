package secret

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// A client secret in the portable record is written exactly as a JSON
// string would be, so that owner signatures made over earlier encodings
// still match, and read back whole.
func TestClearEncodesAsAString(t *testing.T) {
	for _, s := range []string{"", "plain", `<a href="x">&</a>`, "quote\" back\\slash\nline", "bin\xff\xfe\x00", "\u2028\u2029 ünï"} {
		for _, escape := range []bool{false, true} {
			var got, want strings.Builder
			e1, e2 := json.NewEncoder(&got), json.NewEncoder(&want)
			e1.SetEscapeHTML(escape)
			e2.SetEscapeHTML(escape)
			if err := e1.Encode(struct{ S Clear }{Clear{NewValue(s)}}); err != nil {
				t.Fatal(err)
			}
			if err := e2.Encode(struct{ S string }{s}); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%q (escape HTML %v): %s, want %s", s, escape, got.String(), want.String())
			}
			var back struct{ S Clear }
			if err := json.Unmarshal([]byte(got.String()), &back); err != nil {
				t.Fatal(err)
			}
			var wantBack struct{ S string }
			json.Unmarshal([]byte(want.String()), &wantBack)
			if back.S.Reveal() != wantBack.S {
				t.Errorf("%q read back as %q, want %q", s, back.S.Reveal(), wantBack.S)
			}
		}
	}
	c := Clear{NewValue("hunter2")}
	if s := fmt.Sprintf("%v %s %+v %#v", c, c, struct{ C Clear }{c}, c); strings.Contains(s, "hunter2") {
		t.Errorf("a Clear printed shows its content: %s", s)
	}
}

func TestPortableRoundTrip(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &Record{ID: "0123456789abcdef", UID: "0123456789abcdef0123456789abcdef", Name: "pay", URL: "https://pay.example",
		ClientID: "app", ClientSecret: NewValue("s3cr3t"), Identifier: "pay-prod", Method: "POST", Tags: []string{"a", "b"},
		Notes: "n", TokenURL: "https://auth.example/token", TokenAuth: TokenAuthForm, Owner: "alice", Permission: PermEdit,
		CreatedAt: now, UpdatedAt: now.Add(time.Hour), LastUsedAt: now.Add(2 * time.Hour), Revision: 4}
	p := r.Portable()
	back := p.Record()
	want := &Record{Name: r.Name, URL: r.URL, ClientID: r.ClientID, ClientSecret: r.ClientSecret, Identifier: r.Identifier,
		Method: r.Method, Tags: r.Tags, Notes: r.Notes, TokenURL: r.TokenURL, TokenAuth: r.TokenAuth,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if back.ClientSecret.Reveal() != "s3cr3t" || back.Name != want.Name || back.URL != want.URL || back.ClientID != want.ClientID ||
		back.Identifier != want.Identifier || back.Method != want.Method || !slices.Equal(back.Tags, want.Tags) ||
		back.Notes != want.Notes || back.TokenURL != want.TokenURL || back.TokenAuth != want.TokenAuth ||
		!back.CreatedAt.Equal(want.CreatedAt) || !back.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("round trip: %+v, want %+v", back, want)
	}
	// Vault-local fields stay behind.
	if back.ID != "" || back.UID != "" || back.Owner != "" || back.Permission != "" || !back.LastUsedAt.IsZero() || back.Revision != 0 {
		t.Errorf("vault-local fields travelled: %+v", back)
	}
	// Copies, not aliases.
	p.Tags[0] = "changed"
	if r.Tags[0] != "a" || back.Tags[0] != "a" {
		t.Error("the portable record shares its tags with a record")
	}
}

// An export writes the portable record's members inside the list shape, and
// an import reads back every member an export writes: the two stay in step
// through the one definition.
func TestExportMembersArePortableOnes(t *testing.T) {
	members := func(v any) map[string]bool {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for k := range m {
			out[k] = true
		}
		return out
	}
	full := &Record{Name: "n", URL: "https://x.example", ClientID: "c", ClientSecret: NewValue("\xff"),
		TokenURL: "https://t.example", TokenAuth: TokenAuthForm, LastUsedAt: time.Now()}
	exported := members(full.ToExport())
	for k := range members(full.Portable()) {
		if !exported[k] {
			t.Errorf("the export leaves out the portable member %q", k)
		}
	}
	// Every member an export writes is one an import accepts.
	b, _ := json.Marshal([]ExportJSON{full.ToExport()})
	items, err := DecodeImportJSON(strings.NewReader(string(b)))
	if err != nil || len(items) != 1 || len(items[0].Problems) > 0 {
		t.Fatalf("an export does not read back: %v %+v (members %v)", err, items, slices.Sorted(maps.Keys(exported)))
	}
	if got := items[0].Record.ClientSecret.Reveal(); got != "\xff" {
		t.Errorf("client secret read back as %q", got)
	}
}
