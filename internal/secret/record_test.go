package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// validRecord returns a record that passes Normalize; tests change one thing.
func validRecord() *Record {
	return &Record{Name: "payments", URL: "https://api.example.com/v1", ClientID: "app-42"}
}

func TestNormalize(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name   string
		change func(r *Record)
		check  func(t *testing.T, r *Record) // after a successful Normalize
		field  string                        // the *FieldError's field, "" for success
	}{
		{name: "valid", change: func(*Record) {}},
		{
			name: "blanks around one-line fields are trimmed",
			change: func(r *Record) {
				r.Name, r.URL, r.ClientID, r.Identifier = "  payments\t", " https://api.example.com/v1 ", " app-42 ", " pay-prod "
			},
			check: func(t *testing.T, r *Record) {
				if r.Name != "payments" || r.URL != "https://api.example.com/v1" || r.ClientID != "app-42" || r.Identifier != "pay-prod" {
					t.Errorf("not trimmed: %q %q %q %q", r.Name, r.URL, r.ClientID, r.Identifier)
				}
			},
		},
		{
			name:   "notes keep their lines and blanks",
			change: func(r *Record) { r.Notes = "  first\n\tsecond\n" },
			check: func(t *testing.T, r *Record) {
				if r.Notes != "  first\n\tsecond\n" {
					t.Errorf("notes = %q", r.Notes)
				}
			},
		},
		{
			name:   "method is upper-cased",
			change: func(r *Record) { r.Method = " patch " },
			check: func(t *testing.T, r *Record) {
				if r.Method != "PATCH" {
					t.Errorf("method = %q", r.Method)
				}
			},
		},
		{
			name:   "tags are trimmed, folded and sorted",
			change: func(r *Record) { r.Tags = []string{"prod", " Billing", "PROD", "eu ", "billing"} },
			check: func(t *testing.T, r *Record) {
				if want := []string{"Billing", "eu", "prod"}; !slices.Equal(r.Tags, want) {
					t.Errorf("tags = %q, want %q", r.Tags, want)
				}
			},
		},
		{name: "name required", change: func(r *Record) { r.Name = "" }, field: "name"},
		{name: "blank name", change: func(r *Record) { r.Name = " \t " }, field: "name"},
		{name: "name with a newline", change: func(r *Record) { r.Name = "pay\nments" }, field: "name"},
		{name: "name at the limit", change: func(r *Record) { r.Name = long(MaxNameLen) }},
		{name: "name too long", change: func(r *Record) { r.Name = long(MaxNameLen + 1) }, field: "name"},
		{name: "name not UTF-8", change: func(r *Record) { r.Name = "pay\xffments" }, field: "name"},
		{name: "name with an escape sequence", change: func(r *Record) { r.Name = "pay\x1b[2J" }, field: "name"},
		{name: "name with a right-to-left override", change: func(r *Record) { r.Name = "invoice\u202etxt.exe" }, field: "name"},
		{name: "name with an isolate", change: func(r *Record) { r.Name = "a\u2067b" }, field: "name"},
		{name: "name with a zero-width space", change: func(r *Record) { r.Name = "pay\u200bments" }, field: "name"},
		{name: "name with a byte order mark", change: func(r *Record) { r.Name = "\ufeffpayments" }, field: "name"},
		{name: "name with accents, CJK and emoji", change: func(r *Record) { r.Name = "Zürich 支付 🔑" }},
		{name: "client ID with a direction mark", change: func(r *Record) { r.ClientID = "app\u200e" }, field: "client-id"},
		{name: "client ID with an Arabic letter mark", change: func(r *Record) { r.ClientID = "app\u061c" }, field: "client-id"},
		{name: "identifier with a word joiner", change: func(r *Record) { r.Identifier = "pay\u2060prod" }, field: "identifier"},
		{name: "identifier with a C1 control", change: func(r *Record) { r.Identifier = "pay\u009bprod" }, field: "identifier"},
		{name: "URL with a bidi embedding", change: func(r *Record) { r.URL = "https://api.example/\u202a" }, field: "url"},
		{name: "tag with a zero-width joiner", change: func(r *Record) { r.Tags = []string{"prod\u200d"} }, field: "tag"},
		{name: "notes may hold anything", change: func(r *Record) { r.Notes = "\x1b]52;c;aGk=\x07\u202e\r" }},
		{name: "URL required", change: func(r *Record) { r.URL = "" }, field: "url"},
		{name: "URL without scheme", change: func(r *Record) { r.URL = "api.example.com/v1" }, field: "url"},
		{name: "URL with another scheme", change: func(r *Record) { r.URL = "ftp://api.example.com" }, field: "url"},
		{name: "URL without host", change: func(r *Record) { r.URL = "https:///v1" }, field: "url"},
		{name: "relative URL", change: func(r *Record) { r.URL = "/v1/token" }, field: "url"},
		{name: "URL with a space", change: func(r *Record) { r.URL = "https://api example.com" }, field: "url"},
		{name: "plain http is allowed", change: func(r *Record) { r.URL = "http://localhost:8080/v1" }},
		{name: "client ID required", change: func(r *Record) { r.ClientID = " " }, field: "client-id"},
		{name: "client ID with a tab", change: func(r *Record) { r.ClientID = "app\t42" }, field: "client-id"},
		{name: "identifier is optional", change: func(r *Record) { r.Identifier = "" }},
		{name: "identifier with a space", change: func(r *Record) { r.Identifier = "pay prod" }, field: "identifier"},
		{name: "identifier too long", change: func(r *Record) { r.Identifier = long(MaxNameLen + 1) }, field: "identifier"},
		{name: "unknown method", change: func(r *Record) { r.Method = "FETCH" }, field: "method"},
		{name: "tag with a space", change: func(r *Record) { r.Tags = []string{"two words"} }, field: "tag"},
		{name: "tag with a comma", change: func(r *Record) { r.Tags = []string{"a,b"} }, field: "tag"},
		{name: "blank tag", change: func(r *Record) { r.Tags = []string{"  "} }, field: "tag"},
		{name: "tag too long", change: func(r *Record) { r.Tags = []string{long(MaxTagLen + 1)} }, field: "tag"},
		{name: "too many tags", change: func(r *Record) { r.Tags = numberedTags(MaxTags + 1) }, field: "tags"},
		{name: "as many tags as allowed", change: func(r *Record) { r.Tags = numberedTags(MaxTags) }},
		{
			name: "duplicates do not count against the limit",
			change: func(r *Record) {
				r.Tags = append(numberedTags(MaxTags), strings.ToUpper(numberedTags(1)[0]))
			},
		},
		{name: "token URL is optional", change: func(r *Record) { r.TokenURL = "" }},
		{
			name:   "token URL is trimmed",
			change: func(r *Record) { r.TokenURL = " https://auth.example.com/oauth2/token " },
			check: func(t *testing.T, r *Record) {
				if r.TokenURL != "https://auth.example.com/oauth2/token" {
					t.Errorf("token URL = %q", r.TokenURL)
				}
			},
		},
		{name: "relative token URL", change: func(r *Record) { r.TokenURL = "/oauth2/token" }, field: "token-url"},
		{name: "token URL with another scheme", change: func(r *Record) { r.TokenURL = "ftp://auth.example.com" }, field: "token-url"},
		{name: "token URL with a newline", change: func(r *Record) { r.TokenURL = "https://a.example/\ntoken" }, field: "token-url"},
		{
			name:   "token auth takes the OAuth metadata names",
			change: func(r *Record) { r.TokenAuth = "Client_Secret_Post" },
			check: func(t *testing.T, r *Record) {
				if r.TokenAuth != TokenAuthForm {
					t.Errorf("token auth = %q, want %q", r.TokenAuth, TokenAuthForm)
				}
			},
		},
		{name: "unknown token auth", change: func(r *Record) { r.TokenAuth = "private_key_jwt" }, field: "token-auth"},
		{name: "notes too long", change: func(r *Record) { r.Notes = long(MaxNotesLen + 1) }, field: "notes"},
		{name: "notes not UTF-8", change: func(r *Record) { r.Notes = "\xff" }, field: "notes"},
		{name: "client secret at the limit", change: func(r *Record) { r.ClientSecret = NewValue(long(MaxSecretLen)) }},
		{name: "client secret too long", change: func(r *Record) { r.ClientSecret = NewValue(long(MaxSecretLen + 1)) }, field: "client-secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validRecord()
			tc.change(r)
			err := r.Normalize()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Normalize: %v", err)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Normalize = %v, want a *FieldError for %s", err, tc.field)
			}
			if fe.Field != tc.field {
				t.Errorf("error names field %q (%v), want %q", fe.Field, err, tc.field)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			if !strings.HasPrefix(err.Error(), tc.field+": ") {
				t.Errorf("message %q does not start with the field", err)
			}
		})
	}
}

func numberedTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag%02d", i)
	}
	return tags
}

func TestNormalizeNeverQuotesTheSecret(t *testing.T) {
	r := validRecord()
	r.ClientSecret = NewValue("s3cr3t-" + strings.Repeat("x", MaxSecretLen))
	err := r.Normalize()
	if err == nil {
		t.Fatal("an oversized secret was accepted")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("the error quotes the secret: %.80s", err)
	}
}

func TestNormalizeMethod(t *testing.T) {
	for _, m := range methods {
		for _, in := range []string{m, strings.ToLower(m), " " + strings.ToLower(m) + "\t"} {
			got, err := NormalizeMethod(in)
			if err != nil || got != m {
				t.Errorf("NormalizeMethod(%q) = %q, %v; want %q", in, got, err, m)
			}
		}
	}
	if got, err := NormalizeMethod("  "); got != "" || err != nil {
		t.Errorf("NormalizeMethod(blank) = %q, %v; want empty", got, err)
	}
	for _, bad := range []string{"TRACE", "CONNECT", "GETS", "G ET"} {
		if _, err := NormalizeMethod(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeMethod(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestNormalizeTags(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{nil, nil},
		{[]string{"b", "A", "c"}, []string{"A", "b", "c"}},
		{[]string{"Prod", "prod", "PROD"}, []string{"Prod"}},
		{[]string{"zeta", "Alpha", "alpha", "beta"}, []string{"Alpha", "beta", "zeta"}},
		{[]string{"été", "ÉTÉ"}, []string{"été"}},
		{[]string{"Kelvin", "\u212aelvin", "kELVIN"}, []string{"Kelvin"}},
		{[]string{"straße", "STRASSE"}, []string{"STRASSE", "straße"}},
		{[]string{"ǅ", "ǆ", "Ǆ"}, []string{"ǅ"}},
	} {
		got, err := NormalizeTags(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("NormalizeTags(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	in := []string{"b", "a"}
	if _, err := NormalizeTags(in); err != nil || !slices.Equal(in, []string{"b", "a"}) {
		t.Errorf("NormalizeTags changed its argument to %q", in)
	}
	var fe *FieldError
	if _, err := NormalizeTags(strings.Fields(strings.Repeat("t ", MaxTags+1) + strings.Repeat("x ", MaxTags))); err != nil {
		t.Errorf("duplicates past the limit: %v", err)
	}
	many := make([]string, MaxTags+1)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	if _, err := NormalizeTags(many); !errors.As(err, &fe) || fe.Msg != fmt.Sprintf("more than %d tags", MaxTags) {
		t.Errorf("NormalizeTags of %d tags = %v", len(many), err)
	}
	for _, pair := range [][2]string{{"Kelvin", "\u212aelvin"}, {"ǅ", "ǆ"}, {"straße", "STRASSE"}, {"σς", "ΣΣ"}, {"a", "aa"}} {
		if (foldKey(pair[0]) == foldKey(pair[1])) != strings.EqualFold(pair[0], pair[1]) {
			t.Errorf("foldKey and EqualFold disagree on %q and %q", pair[0], pair[1])
		}
	}
	if !HasTag([]string{"Prod"}, "pROD") || HasTag([]string{"prod"}, "pro") || HasTag(nil, "") {
		t.Error("HasTag does not compare whole tags without regard to case")
	}
}

func TestSameIdentifier(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"pay", "pay", true},
		{"Pay-Prod", "pAY-pROD", true},
		{"pay", "pay2", false},
		{"", "", false}, // no identifier collides with no identifier
		{"", "pay", false},
	} {
		if got := SameIdentifier(tc.a, tc.b); got != tc.want {
			t.Errorf("SameIdentifier(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParsePermission(t *testing.T) {
	for in, want := range map[string]Permission{"view": PermView, " EDIT ": PermEdit, "View": PermView} {
		if got, err := ParsePermission(in); err != nil || got != want {
			t.Errorf("ParsePermission(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"owner", "", "write"} {
		if _, err := ParsePermission(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParsePermission(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestIDs(t *testing.T) {
	id, uid := NewID(), NewUID()
	if !LooksLikeID(id) || len(uid) != 32 || id == NewID() {
		t.Errorf("NewID() = %q, NewUID() = %q", id, uid)
	}
	for _, s := range []string{"", "0123456789abcde", "0123456789abcdeg", "0123456789abcdef0"} {
		if LooksLikeID(s) {
			t.Errorf("LooksLikeID(%q) = true", s)
		}
	}
}

func TestPermissions(t *testing.T) {
	for _, tc := range []struct {
		p             Permission
		mine, canEdit bool
	}{
		{"", true, true},
		{PermOwner, true, true},
		{PermEdit, false, true},
		{PermView, false, false},
	} {
		r := &Record{Permission: tc.p}
		if r.Mine() != tc.mine || r.CanEdit() != tc.canEdit {
			t.Errorf("permission %q: Mine %v CanEdit %v", tc.p, r.Mine(), r.CanEdit())
		}
	}
}

func TestClone(t *testing.T) {
	r := validRecord()
	r.Tags = []string{"a", "b"}
	r.Access = []Access{{Name: "alice", Permission: PermOwner}}
	r.ClientSecret = NewValue("s3cr3t")
	c := r.Clone()
	c.Tags[0] = "changed"
	c.Access[0].Name = "mallory"
	c.ClientSecret.Bytes()[0] = 'S'
	if r.Tags[0] != "a" || r.Access[0].Name != "alice" || r.ClientSecret.Reveal() != "s3cr3t" {
		t.Errorf("changing the clone changed the original: %q %q %q", r.Tags, r.Access[0].Name, r.ClientSecret.Reveal())
	}
}

// A Value must not leak through formatting or JSON, even inside a record.
func TestValueIsElided(t *testing.T) {
	const s = "s3cr3t-value"
	v := NewValue(s)
	r := validRecord()
	r.ClientSecret = v
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		for _, arg := range []any{v, &v, r, *r} {
			if out := fmt.Sprintf(format, arg); strings.Contains(out, s) || strings.Contains(out, fmt.Sprintf("%x", s)) {
				t.Errorf("Sprintf(%q, %T) = %s", format, arg, out)
			}
		}
	}
	if got := fmt.Sprint(v); got != "(elided)" {
		t.Errorf("Sprint = %q", got)
	}
	if got := fmt.Sprint(Value{}); got != "" {
		t.Errorf("empty Value prints %q", got)
	}
	b, err := json.Marshal(r)
	if err != nil || strings.Contains(string(b), s) {
		t.Errorf("json.Marshal(record) = %s, %v", b, err)
	}
	if v.Reveal() != s || !v.Equal(NewValue(s)) || v.IsZero() || !(Value{}).IsZero() {
		t.Error("Reveal, Equal or IsZero is wrong")
	}
	src := []byte(s)
	v = NewValueBytes(src)
	src[0] = 'S'
	if v.Reveal() != s {
		t.Error("NewValueBytes does not copy its argument")
	}
}

// BenchmarkNormalizeTags100k measures refusing 100,000 distinct tags, and
// folding 100,000 copies of a few: both are linear in the list.
func BenchmarkNormalizeTags100k(b *testing.B) {
	distinct := make([]string, 100000)
	dups := make([]string, 100000)
	for i := range distinct {
		distinct[i] = fmt.Sprintf("tag%d", i)
		dups[i] = fmt.Sprintf("Tag%d", i%MaxTags)
	}
	b.Run("distinct", func(b *testing.B) {
		for b.Loop() {
			if _, err := NormalizeTags(distinct); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("duplicates", func(b *testing.B) {
		for b.Loop() {
			if _, err := NormalizeTags(dups); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestProblemsReportsEveryField(t *testing.T) {
	r := &Record{Name: " ", URL: "ftp://x", Identifier: "has space", Method: "FETCH", Tags: []string{"a,b"}}
	var fields []string
	for _, err := range r.Problems() {
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("problem %v is not a *FieldError", err)
		}
		fields = append(fields, fe.Field)
	}
	want := []string{"name", "url", "client-id", "identifier", "method", "tag"}
	if !slices.Equal(fields, want) {
		t.Fatalf("Problems named %v, want %v", fields, want)
	}
	if err := r.Normalize(); err == nil || !strings.HasPrefix(err.Error(), "name:") {
		t.Fatalf("Normalize = %v, want the first problem (name)", err)
	}
	if p := validRecord().Problems(); p != nil {
		t.Fatalf("a valid record has problems: %v", p)
	}
}

func TestURLFromHost(t *testing.T) {
	for in, want := range map[string]string{
		"api.example.com":          "https://api.example.com",
		" api.example.com/v1 ":     "https://api.example.com/v1",
		"localhost:8080":           "https://localhost:8080",
		"http://api.example.com":   "http://api.example.com",
		"https://api.example.com":  "https://api.example.com",
		"":                         "",
		"not a host":               "not a host",
		"payments":                 "payments",
		"user:pw@api.example.com":  "user:pw@api.example.com",
		"ftp://files.example.com":  "ftp://files.example.com",
		"postgres://db.example/x":  "postgres://db.example/x",
		"api.example.com?q=1#frag": "https://api.example.com?q=1#frag",
	} {
		if got := URLFromHost(in); got != want {
			t.Errorf("URLFromHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeTokenAuth(t *testing.T) {
	for in, want := range map[string]string{
		"": "", " ": "", "basic": TokenAuthBasic, "BASIC": TokenAuthBasic, "client_secret_basic": TokenAuthBasic,
		"form": TokenAuthForm, " Form ": TokenAuthForm, "client_secret_post": TokenAuthForm,
	} {
		got, err := NormalizeTokenAuth(in)
		if err != nil || got != want {
			t.Errorf("NormalizeTokenAuth(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"post", "header", "none", "private_key_jwt", "basic form"} {
		if _, err := NormalizeTokenAuth(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeTokenAuth(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestTokenServer(t *testing.T) {
	for _, tc := range []struct {
		url, tokenURL, endpoint, server string
	}{
		{"https://api.example.com/v1", "", "https://api.example.com/v1", "https://api.example.com:443"},
		{"https://api.example.com/v1", "https://Auth.Example.com./oauth2/token", "https://Auth.Example.com./oauth2/token", "https://auth.example.com:443"},
		{"https://api.example.com", "https://auth.example.com:443/token", "https://auth.example.com:443/token", "https://auth.example.com:443"},
		{"https://api.example.com", "https://auth.example.com:8443/token", "https://auth.example.com:8443/token", "https://auth.example.com:8443"},
		{"https://api.example.com", "HTTP://auth.example.com/token", "HTTP://auth.example.com/token", "http://auth.example.com:80"},
		{"https://api.example.com", "http://[::1]:4444/token", "http://[::1]:4444/token", "http://[::1]:4444"},
		{"", "", "", ""},
		{"", "not a url", "not a url", "not a url"},
	} {
		r := &Record{URL: tc.url, TokenURL: tc.tokenURL}
		if got := r.TokenEndpoint(); got != tc.endpoint {
			t.Errorf("TokenEndpoint(%q, %q) = %q, want %q", tc.url, tc.tokenURL, got, tc.endpoint)
		}
		if got := r.TokenServer(); got != tc.server {
			t.Errorf("TokenServer(%q, %q) = %q, want %q", tc.url, tc.tokenURL, got, tc.server)
		}
	}
}
