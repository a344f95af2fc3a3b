package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t1 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	t2 = time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	t3 = time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
)

func TestJSONShape(t *testing.T) {
	r := &Record{ID: "00000000000000a1", Name: "payments", URL: "https://pay.example", ClientID: "app",
		ClientSecret: NewValue("s3cr3t"), Owner: "alice", Permission: PermOwner,
		CreatedAt: t1.Add(999 * time.Millisecond), UpdatedAt: t2.In(time.FixedZone("CET", 3600)),
		Access: []Access{{Name: "alice", Permission: PermOwner, GrantedAt: t1}, {Name: "bob", Recipient: "age1bob", Permission: PermView, RevokedAt: t3}}}
	b, err := json.Marshal(r.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("s3cr3t")) || bytes.Contains(b, []byte("client_secret")) {
		t.Errorf("the JSON view carries the secret: %s", b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(m))
	want := []string{"access", "client_id", "created_at", "id", "identifier", "last_used_at", "method", "name", "notes", "owner", "permission", "tags", "token_auth", "token_url", "updated_at", "url"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %q\nwant %q", keys, want)
	}
	if m["last_used_at"] != nil {
		t.Errorf("last_used_at = %v, want null when never used", m["last_used_at"])
	}
	if tags, ok := m["tags"].([]any); !ok || len(tags) != 0 {
		t.Errorf("tags = %#v, want []", m["tags"])
	}
	// Times are UTC, to the second.
	if m["created_at"] != "2024-01-02T03:04:05Z" || m["updated_at"] != "2024-02-03T04:05:06Z" {
		t.Errorf("times: created_at %v, updated_at %v", m["created_at"], m["updated_at"])
	}
	access := m["access"].([]any)
	if len(access) != 2 || access[1].(map[string]any)["revoked_at"] != "2024-03-04T05:06:07Z" {
		t.Errorf("access = %v", access)
	}
	if _, ok := access[0].(map[string]any)["revoked_at"]; ok {
		t.Errorf("revoked_at shown for access that stands: %v", access[0])
	}

	r.LastUsedAt = t3
	if got := r.ToJSON().LastUsedAt; got == nil || !got.Equal(t3) {
		t.Errorf("last_used_at = %v", got)
	}
	e, _ := json.Marshal(r.ToExport())
	if !bytes.Contains(e, []byte(`"client_secret":"s3cr3t"`)) {
		t.Errorf("the export form lacks the secret: %s", e)
	}
}

func TestReadImportJSON(t *testing.T) {
	in := `[
	  {"id": "ffffffffffffffff", "name": " weather ", "url": "https://wx.example", "client_id": "wx",
	   "client_secret": "s3cr3t", "identifier": "wx", "method": "get", "tags": ["b", "A", "a"],
	   "notes": "n", "owner": "mallory", "permission": "view",
	   "created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-02-03T04:05:06Z",
	   "last_used_at": "2024-03-04T05:06:07Z", "access": [{"name": "mallory"}]},
	  {"name": "maps", "url": "https://maps.example", "client_id": "maps", "last_used_at": null}
	]`
	recs, err := ReadImportJSON(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if r.Name != "weather" || r.Method != "GET" || !slices.Equal(r.Tags, []string{"A", "b"}) || r.ClientSecret.Reveal() != "s3cr3t" {
		t.Errorf("not normalized: %+v", r)
	}
	if !r.CreatedAt.Equal(t1) || !r.UpdatedAt.Equal(t2) || !r.LastUsedAt.Equal(t3) {
		t.Errorf("times: %v %v %v", r.CreatedAt, r.UpdatedAt, r.LastUsedAt)
	}
	if r.ID != "" || r.Owner != "" || r.Permission != "" || r.Access != nil {
		t.Errorf("the file's id, owner, permission or access was kept: %+v", r)
	}
	if !recs[1].CreatedAt.IsZero() || !recs[1].LastUsedAt.IsZero() {
		t.Errorf("missing times are not zero: %+v", recs[1])
	}
	if recs, err := ReadImportJSON(strings.NewReader(" [ ] ")); err != nil || len(recs) != 0 {
		t.Errorf("empty array: %v, %v", recs, err)
	}
}

func TestReadImportJSONErrors(t *testing.T) {
	const ok = `{"name": "a", "url": "https://a.example", "client_id": "a"}`
	for _, tc := range []struct {
		name, in string
		entry    int    // 0: the whole file is wrong
		field    string // of the *FieldError
		contains string
	}{
		{"empty", "", 0, "json", "not a JSON array"},
		{"object", ok, 0, "json", "not a JSON array"},
		{"string", `"x"`, 0, "json", "not a JSON array"},
		{"unclosed", "[" + ok, 0, "json", "not closed"},
		{"unknown key", `[` + ok + `, {"name": "b", "url": "https://b.example", "client_id": "b", "password": "x"}]`, 2, "json", `unknown field "password"`},
		{"wrong type", `[{"name": "b", "url": "https://b.example", "client_id": "b", "tags": "x"}]`, 1, "json", "tags"},
		{"bad time", `[{"name": "b", "url": "https://b.example", "client_id": "b", "created_at": "yesterday"}]`, 1, "json", "yesterday"},
		{"not an object", `[` + ok + `, 42]`, 2, "json", ""},
		{"syntax", `[` + ok + `, {"name": }]`, 2, "json", ""},
		{"invalid entry", `[` + ok + `, ` + ok + `, {"name": "c", "url": "ftp://c", "client_id": "c"}]`, 3, "url", "ftp://c"},
		{"missing name", `[{"url": "https://c.example", "client_id": "c"}]`, 1, "name", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := ReadImportJSON(strings.NewReader(tc.in))
			checkImportError(t, recs, err, tc.entry, tc.field, tc.contains)
		})
	}
}

func checkImportError(t *testing.T, recs []*Record, err error, entry int, field, contains string) {
	t.Helper()
	if err == nil || recs != nil {
		t.Fatalf("got %d records, %v; want an error and no records", len(recs), err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	var ie *ImportError
	if gotEntry := errors.As(err, &ie); gotEntry != (entry > 0) || (gotEntry && ie.Entry != entry) {
		t.Errorf("%v: want entry %d", err, entry)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Errorf("%v: want a *FieldError for %q", err, field)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("%v: want it to mention %q", err, contains)
	}
}

func TestReadImportCSV(t *testing.T) {
	in := "\ufeffName, URL ,Client_ID,client_secret,TAGS,notes,last_used_at\n" +
		"mail,https://mail.example,mail-app,\"s3cr3t, with comma\",prod  ops,\"line 1\nline \"\"2\"\"\",2024-03-04T05:06:07Z\n" +
		"sms,https://sms.example,sms-app,,,,\n"
	recs, err := ReadImportCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if r.Name != "mail" || r.URL != "https://mail.example" || r.ClientID != "mail-app" || r.ClientSecret.Reveal() != "s3cr3t, with comma" ||
		!slices.Equal(r.Tags, []string{"ops", "prod"}) || r.Notes != "line 1\nline \"2\"" || !r.LastUsedAt.Equal(t3) {
		t.Errorf("record 1: %+v (secret %q)", r, r.ClientSecret.Reveal())
	}
	if !recs[1].ClientSecret.IsZero() || recs[1].Tags != nil || !recs[1].LastUsedAt.IsZero() {
		t.Errorf("record 2: %+v", recs[1])
	}
}

func TestReadImportCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		entry    int
		field    string
		contains string
	}{
		{"empty", "", 0, "csv", "missing header row"},
		{"unknown column", "name,url,client_id,password\n", 0, "csv", `unknown column "password"`},
		{"missing column", "name,client_id\na,a\n", 0, "csv", `missing column "url"`},
		{"short row", "name,url,client_id\na,https://a.example,a\nb,https://b.example\n", 2, "csv", "wrong number of fields"},
		{"bad quote", "name,url,client_id\na,https://a.example,\"a\n", 1, "csv", ""},
		{"bad time", "name,url,client_id,updated_at\na,https://a.example,a,2024-01-02\n", 1, "updated_at", `"2024-01-02" is not an RFC 3339 time`},
		{"invalid entry", "name,url,client_id,method\na,https://a.example,a,GET\nb,https://b.example,b,FETCH\n", 2, "method", "FETCH"},
		{"blank name", "name,url,client_id\n ,https://a.example,a\n", 1, "name", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := ReadImportCSV(strings.NewReader(tc.in))
			checkImportError(t, recs, err, tc.entry, tc.field, tc.contains)
		})
	}
}

// What WriteExportCSV writes, ReadImportCSV reads back.
func TestCSVRoundTrip(t *testing.T) {
	recs := []*Record{
		{ID: "00000000000000a1", Name: "payments", URL: "https://pay.example/v2?x=1,2", ClientID: "pay-app",
			ClientSecret: NewValue("s3cr3t \"quoted\",\nwith a newline"), Identifier: "pay", Method: "POST",
			Tags: []string{"eu", "prod"}, Notes: "a, b\n\"c\"", Owner: "alice", CreatedAt: t1, UpdatedAt: t2, LastUsedAt: t3,
			TokenURL: "https://auth.pay.example/oauth/token", TokenAuth: TokenAuthForm,
			Access: []Access{{Name: "alice", Permission: PermOwner}}},
		{ID: "00000000000000a2", Name: "bare", URL: "http://bare.example", ClientID: "bare-app", CreatedAt: t1, UpdatedAt: t1},
	}
	var buf bytes.Buffer
	if err := WriteExportCSV(&buf, recs); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := strings.Cut(buf.String(), "\n"); head != strings.Join(csvColumns, ",") {
		t.Errorf("header = %q", head)
	}
	got, err := ReadImportCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("%d records back", len(got))
	}
	for i, want := range recs {
		g := got[i]
		if g.Name != want.Name || g.URL != want.URL || g.ClientID != want.ClientID || !g.ClientSecret.Equal(want.ClientSecret) ||
			g.Identifier != want.Identifier || g.Method != want.Method || !slices.Equal(g.Tags, want.Tags) || g.Notes != want.Notes ||
			!g.CreatedAt.Equal(want.CreatedAt) || !g.UpdatedAt.Equal(want.UpdatedAt) || !g.LastUsedAt.Equal(want.LastUsedAt) ||
			g.TokenURL != want.TokenURL || g.TokenAuth != want.TokenAuth {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, want)
		}
	}
}

// What export --format json writes, ReadImportJSON reads back.
func TestJSONRoundTrip(t *testing.T) {
	r := &Record{ID: "00000000000000a1", Name: "payments", URL: "https://pay.example", ClientID: "pay-app",
		ClientSecret: NewValue("s3cr3t"), Identifier: "pay", Method: "PUT", Tags: []string{"prod"}, Notes: "n",
		TokenURL: "https://auth.pay.example/token", TokenAuth: TokenAuthBasic,
		Owner: "alice", Permission: PermOwner, CreatedAt: t1, UpdatedAt: t2,
		Access: []Access{{Name: "alice", Permission: PermOwner}, {Name: "bob", Recipient: "age1bob", Permission: PermView, RevokedAt: t3}}}
	b, err := json.Marshal([]ExportJSON{r.ToExport()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadImportJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	g := got[0]
	if g.Name != r.Name || g.ClientSecret.Reveal() != "s3cr3t" || g.Method != "PUT" || !g.CreatedAt.Equal(t1) ||
		!g.UpdatedAt.Equal(t2) || !g.LastUsedAt.IsZero() || !slices.Equal(g.Tags, r.Tags) ||
		g.TokenURL != r.TokenURL || g.TokenAuth != r.TokenAuth {
		t.Errorf("got %+v", g)
	}
}

// DecodeImportJSON reads on past a bad entry and keeps each entry's
// problems with it; the file-level errors stay errors.
func TestDecodeImportJSONEveryEntry(t *testing.T) {
	in := `[
	  {"name": "one", "url": "https://one.example", "client_id": "one"},
	  {"name": "two", "url": "https://two.example", "client_id": "two", "pasword": "x", "tags": "not-a-list"},
	  {"name": "three", "client_secret": "s", "client_secret_base64": "czM="},
	  {"name": "four", "client_secret_base64": "%%%"},
	  42
	]`
	items, err := DecodeImportJSON(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 5 {
		t.Fatalf("%d items, want 5", len(items))
	}
	for i, want := range []struct {
		name     string
		problems []string
	}{
		{"one", nil},
		{"two", []string{`json: unknown field "pasword"`}},
		{"three", []string{"client_secret_base64: give client_secret or client_secret_base64, not both"}},
		{"four", []string{"client_secret_base64: not standard base64"}},
		{"", []string{"json: cannot unmarshal number"}},
	} {
		it := items[i]
		if it.Entry != i+1 || it.Record == nil || it.Record.Name != want.name {
			t.Errorf("item %d: entry %d, record %+v; want entry %d named %q", i, it.Entry, it.Record, i+1, want.name)
			continue
		}
		if len(it.Problems) != len(want.problems) {
			t.Errorf("item %d: problems %v, want %v", i, it.Problems, want.problems)
			continue
		}
		for j, p := range it.Problems {
			if !strings.Contains(p.Error(), want.problems[j]) || !errors.Is(p, ErrInvalid) {
				t.Errorf("item %d problem %d: %v, want %q", i, j, p, want.problems[j])
			}
		}
	}
	// The lenient second reading still fills what it can.
	if items[1].Record.URL != "https://two.example" || items[1].Record.ClientID != "two" {
		t.Errorf("item 2 lost its fields: %+v", items[1].Record)
	}
	for _, bad := range []string{`[{"name": }]`, `[{"name": "a"}`, `{"name": "a"}`, `[] []`} {
		if items, err := DecodeImportJSON(strings.NewReader(bad)); err == nil || items != nil {
			t.Errorf("DecodeImportJSON(%q) = %v, %v; want a file error", bad, items, err)
		}
	}
}

func TestDecodeImportCSVEveryEntry(t *testing.T) {
	in := "name,url,client_id,created_at,updated_at\n" +
		"one,https://one.example,one,2024-01-02T03:04:05Z,\n" +
		"two,https://two.example,two,yesterday,tomorrow\n" +
		"three,https://three.example\n" +
		"four,https://four.example,four,,\n"
	items, err := DecodeImportCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 4 {
		t.Fatalf("%d items, want 4", len(items))
	}
	got := make([]int, len(items))
	for i, it := range items {
		got[i] = len(it.Problems)
	}
	if !slices.Equal(got, []int{0, 2, 1, 0}) {
		t.Errorf("problems per row = %v, want [0 2 1 0]: %+v", got, items)
	}
	if !items[0].Record.CreatedAt.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("created_at = %v", items[0].Record.CreatedAt)
	}
	if !strings.Contains(items[2].Problems[0].Error(), "wrong number of fields") {
		t.Errorf("row 3: %v", items[2].Problems)
	}
	if _, err := DecodeImportCSV(strings.NewReader("name,url,client_id\na,\"b,c\n")); err == nil {
		t.Error("a CSV syntax error is not a file error")
	}
}
