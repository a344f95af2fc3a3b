package importer

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mysafe/mysafe/internal/secret"
)

// want is what a test expects of one entry: "" fields are not checked
// except where noted.
type want struct {
	name, url, clientID, secret string
	tokenURL                    string // "" means not checked
	tags                        []string
	notes                       []string // substrings the notes must hold
	problems                    []string // substrings, one per problem, in order; nil means valid
}

func readFixture(t *testing.T, f Format, file string, o Options) []Entry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	src := Source{Name: file, Data: data}
	if got, ok := Detect(src); !ok || got != f {
		t.Errorf("Detect(%s) = %q, %v; want %q", file, got, ok, f)
	}
	entries, err := Read(f, src, o)
	if err != nil {
		t.Fatalf("Read(%s): %v", file, err)
	}
	return entries
}

func check(t *testing.T, entries []Entry, wants []want) {
	t.Helper()
	if len(entries) != len(wants) {
		for _, e := range entries {
			t.Logf("entry %s: %+v", e.Where, e.Record)
		}
		t.Fatalf("%d entries, want %d", len(entries), len(wants))
	}
	for i, w := range wants {
		e, r := entries[i], entries[i].Record
		if r.Name != w.name {
			t.Errorf("%s: name %q, want %q", e.Where, r.Name, w.name)
		}
		if w.url != "" && r.URL != w.url {
			t.Errorf("%s: url %q, want %q", e.Where, r.URL, w.url)
		}
		if w.clientID != "" && r.ClientID != w.clientID {
			t.Errorf("%s: client id %q, want %q", e.Where, r.ClientID, w.clientID)
		}
		if w.secret != "" && r.ClientSecret.Reveal() != w.secret {
			t.Errorf("%s: client secret %q, want %q", e.Where, r.ClientSecret.Reveal(), w.secret)
		}
		if w.tokenURL != "" && r.TokenURL != w.tokenURL {
			t.Errorf("%s: token URL %q, want %q", e.Where, r.TokenURL, w.tokenURL)
		}
		if w.tags != nil && !slices.Equal(r.Tags, w.tags) {
			t.Errorf("%s: tags %q, want %q", e.Where, r.Tags, w.tags)
		}
		for _, n := range w.notes {
			if !strings.Contains(r.Notes, n) {
				t.Errorf("%s: notes %q do not hold %q", e.Where, r.Notes, n)
			}
		}
		if len(e.Problems) != len(w.problems) {
			t.Errorf("%s: problems %v, want %d: %q", e.Where, e.Problems, len(w.problems), w.problems)
			continue
		}
		for j, p := range w.problems {
			if !strings.Contains(e.Problems[j].Error(), p) {
				t.Errorf("%s: problem %d is %q, want one with %q", e.Where, j, e.Problems[j], p)
			}
		}
	}
}

const tokenURL = "https://auth.pay.example/oauth/token"

func TestFormats(t *testing.T) {
	kdbxPassword := func() ([]byte, error) { return []byte("kdbx-test-pass"), nil }
	keepass := []want{
		{name: "loose-entry", secret: "kp-secret-2", notes: []string{"no url, no user"}, problems: []string{"url: required", "client-id: required"}},
		{name: "payments", url: "https://api.pay.example", clientID: "app-42", secret: "kp-secret-1", tags: []string{"APIs"},
			notes: []string{"rotated monthly", "KeePass group: APIs"}},
	}
	for _, tc := range []struct {
		format Format
		file   string
		opts   Options
		want   []want
	}{
		{BitwardenJSON, "bitwarden.json", Options{}, []want{
			{name: "payments", url: "https://api.pay.example", clientID: "app-42", secret: "bw-secret-1", tags: []string{"Payment-APIs"},
				tokenURL: tokenURL, notes: []string{"rotate every 90 days", "URL: https://dashboard.pay.example", "TOTP: otpauth://", "environment: production", "favorite: yes"}},
			{name: "a note", notes: []string{"just a note", "Bitwarden type: secure note"}, problems: []string{"url: required", "client-id: required"}},
		}},
		{BitwardenCSV, "bitwarden.csv", Options{}, []want{
			{name: "payments", url: "https://api.pay.example", clientID: "app-42", secret: "bw-secret-1", tags: []string{"Payment-APIs"},
				notes: []string{"environment: production", "favorite: yes"}},
			{name: "no-url", clientID: "someone", secret: "bw-secret-2", problems: []string{"url: required"}},
		}},
		{OnePasswordCSV, "1password.csv", Options{}, []want{
			{name: "payments", url: "https://api.pay.example", clientID: "app-42", secret: "op-secret-1", tags: []string{"payments", "prod"},
				notes: []string{"rotate every 90 days", "favorite: yes"}},
			{name: "no-user", url: "https://mail.example", secret: "op-secret-2", problems: []string{"client-id: required"}},
		}},
		{OnePUX, "export.1pux", Options{}, []want{
			{name: "payments", url: "https://api.pay.example", clientID: "app-42", secret: "op-secret-1", tags: []string{"prod", "Work"},
				tokenURL: tokenURL, notes: []string{"rotate every 90 days", "TOTP: otpauth://", "favorite: yes"}},
			{name: "mail API", url: "https://mail.example", clientID: "mail-app", secret: "op-secret-2", tags: []string{"Work"},
				notes: []string{"type: bearer", "1Password category: API Credential"}},
		}},
		{KeePassXCCSV, "keepassxc.csv", Options{}, keepass},
		{KeePassXML, "keepass.xml", Options{}, keepass},
		{KDBX, "payments.kdbx", Options{Password: kdbxPassword}, keepass},
		{Dotenv, "payments.env", Options{}, []want{
			{name: "CLIENT_SECRET", url: "https://api.pay.example", clientID: "app-42", secret: `dq-"quoted"-$NOT_EXPANDED`,
				tokenURL: tokenURL, notes: []string{"dotenv variable: CLIENT_SECRET", "URL from: API_URL"}},
			{name: "WEBHOOK_SECRET", url: "https://api.pay.example", clientID: "app-42", secret: "single $quoted"},
			{name: "MULTILINE", secret: "line one\nline two"},
			{name: "EMPTY"},
		}},
		{Postman, "postman.json", Options{}, []want{
			{name: "clientSecret", url: "https://api.pay.example", clientID: "app-42", secret: "pm-secret-1",
				tokenURL: tokenURL, notes: []string{"Postman environment: Payments (prod)"}},
			{name: "legacyKey", url: "https://api.pay.example", clientID: "app-42", secret: "pm-secret-2", notes: []string{"disabled in Postman"}},
		}},
		{VaultKV, "vault-get.json", Options{}, []want{
			{name: "vault-get", url: "https://api.pay.example", clientID: "app-42", secret: "vk-secret-1", notes: []string{"owner_team: billing", "Vault version: 3"}},
		}},
		{VaultKV, "vault-export.json", Options{URL: "mail.example", ClientID: "mailer"}, []want{
			{name: "secret/mail", url: "https://mail.example", clientID: "mailer", secret: "vk-secret-2", notes: []string{"client secret from: api_key"}},
			{name: "secret/payments", url: "https://api.pay.example", clientID: "app-42", secret: "vk-secret-1"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			check(t, readFixture(t, tc.format, tc.file, tc.opts), tc.want)
		})
	}
}

func TestSuppliedFieldsFillOnlyWhatIsMissing(t *testing.T) {
	entries := readFixture(t, KeePassXCCSV, "keepassxc.csv", Options{URL: "fallback.example", ClientID: "fallback-app"})
	check(t, entries, []want{
		{name: "loose-entry", url: "https://fallback.example", clientID: "fallback-app"},
		{name: "payments", url: "https://api.pay.example", clientID: "app-42"},
	})
}

func TestKDBXWrongPassword(t *testing.T) {
	data, err := os.ReadFile("testdata/payments.kdbx")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Read(KDBX, Source{Name: "payments.kdbx", Data: data}, Options{Password: func() ([]byte, error) { return []byte("wrong"), nil }})
	if !errors.Is(err, ErrPassword) {
		t.Fatalf("Read with a wrong password = %v, want ErrPassword", err)
	}
	_, err = Read(KDBX, Source{Name: "x.kdbx", Data: data[:200]}, Options{Password: func() ([]byte, error) { return []byte("kdbx-test-pass"), nil }})
	if err == nil {
		t.Fatalf("Read of a truncated database = %v, want an error", err)
	}
}

func TestDuplicateIdentifiersInOneFile(t *testing.T) {
	entries := []Entry{}
	for _, id := range []string{"pay", "mail", "PAY"} {
		d := newDraft(id)
		d.rec.Name, d.rec.URL, d.rec.ClientID, d.rec.Identifier = id, "https://x.example", "c", id
		entries = append(entries, d.finish(&Options{}))
	}
	checkIdentifiers(entries)
	if len(entries[0].Problems)+len(entries[1].Problems) != 0 || len(entries[2].Problems) != 1 {
		t.Fatalf("problems %v %v %v, want one on the third entry", entries[0].Problems, entries[1].Problems, entries[2].Problems)
	}
}

func TestDetectRefusesWhatItCannotTell(t *testing.T) {
	for _, data := range []string{"", "hello world\n", "a,b,c\n1,2,3\n", "[1,2]", "<html></html>", `{"a": 1}`, "PK\x03\x04junk"} {
		if f, ok := Detect(Source{Name: "x", Data: []byte(data)}); ok {
			t.Errorf("Detect(%q) = %q, want no format", data, f)
		}
	}
}

func TestClassify(t *testing.T) {
	for name, k := range map[string]kind{
		"client_id": kindClientID, "STRIPE_CLIENT_ID": kindClientID, "clientSecret": kindSecret, "API_KEY": kindSecret,
		"OAUTH_TOKEN_URL": kindTokenURL, "accessTokenUrl": kindTokenURL, "baseUrl": kindURL, "API_URL": kindURL,
		"DATABASE_URL": kindURL, "environment": kindOther, "": kindOther, "method": kindMethod,
	} {
		if got := classify(name); got != k {
			t.Errorf("classify(%q) = %d, want %d", name, got, k)
		}
	}
	if looksLikeURL("postgres://u:p@db.example/x") || looksLikeURL("https://u:p@api.example") || !looksLikeURL("api.example.com") {
		t.Error("looksLikeURL: a URL with a password, or another scheme, is not a URL field")
	}
}

// FuzzRead feeds arbitrary bytes to every file format: Read may refuse them
// but must not panic or hang.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"bitwarden.json", "bitwarden.csv", "1password.csv", "keepassxc.csv", "keepass.xml", "payments.env", "postman.json", "vault-get.json", "vault-export.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := Source{Name: "fuzz", Data: data}
		Detect(src)
		for _, format := range Formats() {
			if format == Pass || format == KDBX {
				continue
			}
			Read(format, src, Options{})
		}
	})
}

// mysafe's own files get what every other format gets: supplied fields, a
// hostname taken as https://HOST, every problem, duplicate identifiers.
func TestFromItems(t *testing.T) {
	in := `[
	  {"name": "no-url", "client_id": "a"},
	  {"name": "host", "url": "api.example.com", "client_id": "b", "identifier": "dup"},
	  {"url": "ftp://x", "client_id": "c", "bogus": 1},
	  {"name": "again", "url": "https://again.example", "client_id": "d", "identifier": "DUP"}
	]`
	items, err := secret.DecodeImportJSON(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	entries := FromItems(items, Options{URL: "fill.example", ClientID: "unused"})
	wheres := []string{"entry 1 (no-url)", "entry 2 (host)", "entry 3", "entry 4 (again)"}
	problems := [][]string{nil, nil, {`json: unknown field "bogus"`, "name: required", "url: "}, {`identifier: "DUP" is also the identifier of entry 2 (host)`}}
	for i, e := range entries {
		if e.Where != wheres[i] {
			t.Errorf("entry %d: where %q, want %q", i, e.Where, wheres[i])
		}
		if len(e.Problems) != len(problems[i]) {
			t.Errorf("%s: problems %v, want %v", e.Where, e.Problems, problems[i])
			continue
		}
		for j, p := range e.Problems {
			if !strings.Contains(p.Error(), problems[i][j]) {
				t.Errorf("%s: problem %v, want %q", e.Where, p, problems[i][j])
			}
		}
	}
	if got := entries[0].Record.URL; got != "https://fill.example" {
		t.Errorf("supplied URL = %q", got)
	}
	if got := entries[1].Record.URL; got != "https://api.example.com" {
		t.Errorf("hostname URL = %q", got)
	}
	if got := entries[1].Record.ClientID; got != "b" {
		t.Errorf("the file's client ID was replaced: %q", got)
	}
}
