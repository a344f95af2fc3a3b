package secret

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func encodingJSON(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAppendJSONListMatchesEncodingJSON(t *testing.T) {
	used := time.Date(2026, 11, 23, 10, 4, 5, 0, time.UTC)
	revoked := used.Add(time.Hour)
	full := &Record{ID: "0123456789abcdef", Name: "pay <ments> & \"co\"", URL: "https://x.example/?a=1&b=<2>",
		ClientID: "tab\there\nnew\rline\b\f\x01\x1f\u2028\u2029", Identifier: "ünï", Method: "POST",
		Tags: []string{"a", "b"}, Notes: "bad \xff utf8 \\ back", Owner: "alice", Permission: PermEdit,
		CreatedAt: used, UpdatedAt: used.Add(time.Nanosecond * 1500), LastUsedAt: used,
		Access: []Access{{Name: "alice", Recipient: "age1x", Permission: PermOwner}, {Name: "bob", Permission: PermView, RevokedAt: revoked}}}
	bare := &Record{ID: "fedcba9876543210", Name: "bare", URL: "https://b.example", ClientID: "c"}
	for name, recs := range map[string][]JSON{
		"empty": {},
		"one":   {bare.ToJSON()},
		"mixed": {full.ToJSON(), bare.ToJSON(), full.ToJSON()},
	} {
		want := encodingJSON(t, recs)
		if got := AppendJSONList(nil, recs); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	// A JSON value whose slices are nil, which ToJSON never makes.
	odd := []JSON{{ID: "x"}}
	if got, want := AppendJSONList(nil, odd), encodingJSON(t, odd); !bytes.Equal(got, want) {
		t.Errorf("nil slices:\n got %s\nwant %s", got, want)
	}
}

func FuzzAppendJSONList(f *testing.F) {
	f.Add("name", "notes\n\"q\"", "tag", "\xff\u2028")
	f.Fuzz(func(t *testing.T, name, notes, tag, other string) {
		r := &Record{ID: other, Name: name, URL: other, ClientID: name, Identifier: tag, Notes: notes, Tags: []string{tag, other},
			Owner: other, Access: []Access{{Name: name, Recipient: notes}}}
		recs := []JSON{r.ToJSON()}
		if got, want := AppendJSONList(nil, recs), encodingJSON(t, recs); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}
