package ref

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mysafe/mysafe/internal/secret"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in              string
		rec, field      string
		scope, audience string
		err             string
	}{
		{in: "mysafe://payments", rec: "payments", field: "client-secret"},
		{in: "mysafe://payments/client-id", rec: "payments", field: "client-id"},
		{in: "mysafe://payments/client_id", rec: "payments", field: "client-id"},
		{in: "mysafe://payments/URL", rec: "payments", field: "url"},
		{in: "mysafe://payments/secret", rec: "payments", field: "client-secret"},
		{in: "mysafe://0123456789abcdef/notes", rec: "0123456789abcdef", field: "notes"},
		{in: "mysafe://team/pay/url", rec: "team/pay", field: "url"},
		{in: "mysafe://Payments Prod/method", rec: "Payments Prod", field: "method"},
		{in: "mysafe://payments/password", err: `"password" is not a field`},
		{in: "mysafe://payments/", err: `"" is not a field`},
		{in: "mysafe:///url", err: "names no API secret"},
		{in: "mysafe://", err: "names no API secret"},
		{in: "payments", err: "must start with mysafe://"},
		{in: "MYSAFE://payments", err: "must start with mysafe://"},
		{in: "mysafe://pay\nments", err: "control character"},
		{in: "mysafe://" + strings.Repeat("a", 2000), err: "longer than"},
		{in: "mysafe://\xff", err: "UTF-8"},
		// Access tokens; without /token a query is part of the name, which
		// then finds nothing: no secret is sent anywhere new.
		{in: "mysafe://payments/token", field: "token", rec: "payments"},
		{in: "mysafe://payments/token?", field: "token", rec: "payments"},
		{in: "mysafe://payments/token?scope=read", field: "token", rec: "payments", scope: "read"},
		{in: "mysafe://payments/token?scope=read+write", field: "token", rec: "payments", scope: "read write"},
		{in: "mysafe://payments/token?scope=read%20write&scope=write+admin", field: "token", rec: "payments", scope: "read write admin"},
		{in: "mysafe://payments/token?audience=https://api.pay.example/v2&scope=read", field: "token", rec: "payments", scope: "read", audience: "https://api.pay.example/v2"},
		{in: "mysafe://payments/token?audience=https%3A%2F%2Fapi.pay.example", field: "token", rec: "payments", audience: "https://api.pay.example"},
		{in: "mysafe://team/pay/token?scope=a", field: "token", rec: "team/pay", scope: "a"},
		{in: "mysafe://Payments Prod/token", field: "token", rec: "Payments Prod"},
		{in: "mysafe:///token", err: "names no API secret"},
		{in: "mysafe:///token?scope=a", err: "names no API secret"},
		{in: "mysafe://payments/token?scope=a%22b", err: "has a character a scope cannot hold"},
		{in: "mysafe://payments/token?audience=a%0Ab", err: "one line of text"},
		{in: "mysafe://payments/token?audience=a&audience=b", err: "give one audience"},
		{in: "mysafe://payments/token?audience=", err: "give one audience"},
		{in: "mysafe://payments/token?client_secret=x", err: `not "client_secret"`},
		{in: "mysafe://payments/token?scope=%zz", err: "not name=value"},
		{in: "mysafe://payments/url?scope=read", err: "is not a field"},
		{in: "mysafe://payments?scope=read", field: "client-secret", rec: "payments?scope=read"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrSyntax) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error with %q", tc.in, r, err, tc.err)
				}
				return
			}
			if err != nil || r.Record != tc.rec || fieldName(r) != tc.field || r.Scope != tc.scope || r.Audience != tc.audience {
				t.Fatalf("Parse(%q) = %+v, %v; want %s / %s / %q / %q", tc.in, r, err, tc.rec, tc.field, tc.scope, tc.audience)
			}
			// What String writes parses back to the same reference.
			if again, err := Parse(r.String()); err != nil || again != r {
				t.Fatalf("Parse(%q) = %+v, %v", r.String(), again, err)
			}
		})
	}
}

// fieldName is what follows REF/ in r written out.
func fieldName(r Ref) string {
	if r.Token {
		return TokenField
	}
	return r.Field.Name()
}

func TestParseSameScopes(t *testing.T) {
	// The same scopes, written another way, are the same reference.
	a, _ := Parse("mysafe://p/token?scope=read+write")
	b, _ := ParseShort("p/token?scope=read&scope=write+read")
	if a != b {
		t.Errorf("%+v != %+v", a, b)
	}
}

func TestParseEnvFlag(t *testing.T) {
	for _, tc := range []struct {
		in, name, rec, field, err string
	}{
		{in: "TOKEN=payments", name: "TOKEN", rec: "payments", field: "client-secret"},
		{in: "ID=payments/client-id", name: "ID", rec: "payments", field: "client-id"},
		{in: "_X1=mysafe://payments/url", name: "_X1", rec: "payments", field: "url"},
		{in: "TOKEN", err: "NAME=REF"},
		{in: "1TOKEN=payments", err: "NAME=REF"},
		{in: "TO-KEN=payments", err: "NAME=REF"},
		{in: "=payments", err: "NAME=REF"},
		{in: "TOKEN=", err: "names no API secret"},
		{in: "TOKEN=payments/pin", err: "not a field"},
	} {
		v, err := ParseEnvFlag(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseEnvFlag(%q) = %+v, %v; want %q", tc.in, v, err, tc.err)
			}
			continue
		}
		if err != nil || v.Name != tc.name || v.Ref == nil || v.Ref.Record != tc.rec || v.Ref.Field.Name() != tc.field {
			t.Errorf("ParseEnvFlag(%q) = %+v, %v", tc.in, v, err)
		}
	}
}

func TestParseDotenv(t *testing.T) {
	in := "\xef\xbb\xbf# settings\n" +
		"PLAIN=hello world # comment\n" +
		"export EXPORTED=yes\n" +
		"EMPTY=\n" +
		"SINGLE='it''s $HOME #x'\n" +
		"DOUBLE=\"a\\nb \\\"q\\\" \\$HOME\"   # c\n" +
		"TOKEN=mysafe://payments\r\n" +
		"  ID = mysafe://payments/client-id  \n" +
		"QUOTED_REF=\"mysafe://weather/url\"\n" +
		"NOT_REF=https://mysafe://x\n"
	vars, err := ParseDotenv([]byte(in))
	if err == nil {
		t.Fatalf("text after a closing quote was accepted: %+v", vars)
	}
	in = strings.Replace(in, "SINGLE='it''s $HOME #x'", "SINGLE='it s $HOME #x'", 1)
	vars, err = ParseDotenv([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vars {
		if v.Ref != nil {
			got = append(got, fmt.Sprintf("%s@%d->%s", v.Name, v.Line, v.Ref))
		} else {
			got = append(got, fmt.Sprintf("%s@%d=%q", v.Name, v.Line, v.Value))
		}
	}
	want := []string{
		`PLAIN@2="hello world"`, `EXPORTED@3="yes"`, `EMPTY@4=""`, `SINGLE@5="it s $HOME #x"`,
		`DOUBLE@6="a\nb \"q\" $HOME"`, "TOKEN@7->mysafe://payments/client-secret",
		"ID@8->mysafe://payments/client-id", "QUOTED_REF@9->mysafe://weather/url", `NOT_REF@10="https://mysafe://x"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseDotenvErrorsHideTheLine(t *testing.T) {
	for _, in := range []string{
		"TOKEN s3cr3t-value",
		"TOKEN='s3cr3t-value",
		"TOKEN=\"s3cr3t-value",
		"TOK EN=s3cr3t-value",
		"OK=1\nTOKEN=mysafe://s3cr3t-value/pin",
	} {
		_, err := ParseDotenv([]byte(in))
		if err == nil {
			t.Errorf("%q was accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: error %q names no line", in, err)
		}
		if strings.Contains(err.Error(), "s3cr3t-value") && !strings.Contains(in, "mysafe://s3cr3t") {
			t.Errorf("%q: the error shows the value: %v", in, err)
		}
	}
}

func TestTemplate(t *testing.T) {
	in := "url: {{ mysafe://payments/url }}\nsecret: {{mysafe://payments}}\nkeep: {{ .Values.x }} {{\nagain: {{ mysafe://payments/url }}\n"
	tpl, err := ParseTemplate(in)
	if err != nil {
		t.Fatal(err)
	}
	refs := tpl.Refs()
	if len(refs) != 3 || refs[0] != (Ref{Record: "payments", Field: secret.FieldURL}) || refs[1] != (Ref{Record: "payments", Field: secret.FieldClientSecret}) {
		t.Fatalf("Refs() = %+v", refs)
	}
	out, err := tpl.Execute(map[Ref]string{{Record: "payments", Field: secret.FieldURL}: "https://pay.example", {Record: "payments", Field: secret.FieldClientSecret}: "s3cr3t"})
	if err != nil {
		t.Fatal(err)
	}
	want := "url: https://pay.example\nsecret: s3cr3t\nkeep: {{ .Values.x }} {{\nagain: https://pay.example\n"
	if string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
	if _, err := tpl.Execute(map[Ref]string{}); err == nil {
		t.Fatal("Execute without values succeeded")
	}
	for _, bad := range []string{"a {{ mysafe://payments\n}}", "{{ mysafe://payments/pin }}", "{{ mysafe:// }}", "x\ny {{ mysafe://p"} {
		if _, err := ParseTemplate(bad); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("ParseTemplate(%q): %v, want an error naming the line", bad, err)
		}
	}
}

func TestResolve(t *testing.T) {
	recs := map[string]*secret.Record{
		"payments": {Name: "payments", URL: "https://pay.example", ClientID: "app", ClientSecret: secret.NewValue("s3cr3t")},
		"nosecret": {Name: "nosecret", URL: "https://n.example", ClientID: "n"},
	}
	calls := 0
	find := func(ref string) (*secret.Record, error) {
		calls++
		if r, ok := recs[ref]; ok {
			return r, nil
		}
		return nil, secret.ErrNotFound
	}
	refs := []Ref{{Record: "payments", Field: secret.FieldClientSecret}, {Record: "payments", Field: secret.FieldURL}, {Record: "payments", Field: secret.FieldClientSecret}, {Record: "nosecret", Field: secret.FieldClientID}}
	got, err := Resolve(refs, find, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got[refs[0]] != "s3cr3t" || got[refs[1]] != "https://pay.example" || got[refs[3]] != "n" || calls != 3 {
		t.Fatalf("Resolve = %v (%d lookups)", got, calls)
	}
	_, err = Resolve([]Ref{{Record: "payments", Field: secret.FieldURL}, {Record: "missing", Field: secret.FieldURL}}, find, nil)
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Ref.Record != "missing" || !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("unknown reference: %v", err)
	}
	if _, err := Resolve([]Ref{{Record: "nosecret", Field: secret.FieldClientSecret}}, find, nil); !errors.Is(err, ErrEmptySecret) {
		t.Fatalf("empty client secret: %v", err)
	}
}

func TestResolveTokens(t *testing.T) {
	recs := map[string]*secret.Record{
		"payments": {Name: "payments", URL: "https://pay.example", ClientID: "app", ClientSecret: secret.NewValue("s3cr3t")},
		"nosecret": {Name: "nosecret", ClientID: "n"},
	}
	find := func(ref string) (*secret.Record, error) {
		if r, ok := recs[ref]; ok {
			return r, nil
		}
		return nil, secret.ErrNotFound
	}
	var asked []string
	token := func(rec *secret.Record, r Ref) (string, error) {
		asked = append(asked, rec.Name+" "+r.Scope)
		if r.Scope == "fail" {
			return "", errors.New("refused")
		}
		return "tok-" + rec.ClientID + "-" + r.Scope, nil
	}
	read := Ref{Record: "payments", Token: true, Scope: "read"}
	refs := []Ref{read, {Record: "payments", Field: secret.FieldURL}, read, {Record: "payments", Token: true}}
	got, err := Resolve(refs, find, token)
	if err != nil {
		t.Fatal(err)
	}
	if got[read] != "tok-app-read" || got[refs[1]] != "https://pay.example" || got[refs[3]] != "tok-app-" || len(asked) != 2 {
		t.Fatalf("Resolve = %v, asked %q", got, asked)
	}

	// Nothing is fetched when another reference fails, wherever it is.
	asked = nil
	for _, bad := range [][]Ref{
		{read, {Record: "missing", Field: secret.FieldURL}},
		{read, {Record: "nosecret", Token: true}},
	} {
		if _, err := Resolve(bad, find, token); err == nil || len(asked) != 0 {
			t.Fatalf("Resolve(%v) = %v, fetched %q", bad, err, asked)
		}
	}
	if _, err := Resolve([]Ref{{Record: "nosecret", Token: true}}, find, token); !errors.Is(err, ErrEmptySecret) {
		t.Errorf("token of a record without a secret: %v", err)
	}
	if _, err := Resolve([]Ref{read}, find, nil); !errors.Is(err, ErrNoTokens) {
		t.Errorf("no TokenFunc: %v", err)
	}
	if _, err := Resolve([]Ref{read, {Record: "payments", Token: true, Scope: "fail"}}, find, token); err == nil || err.Error() != "refused" {
		t.Errorf("a failed fetch: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"mysafe://payments", "mysafe://a/b/url", "mysafe://x/", "payments/client_id", "mysafe://\x00",
		"mysafe://p/token?scope=a+b&audience=https%3A%2F%2Fapi.example", "p/token?scope=a&scope=b+a", "mysafe://p/token?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseShort(s)
		if err != nil {
			return
		}
		if fieldName(r) == "" || r.Record == "" {
			t.Fatalf("ParseShort(%q) = %+v", s, r)
		}
		again, err := Parse(r.String())
		if err != nil || again != r {
			t.Fatalf("round trip of %q: %+v, %v", s, again, err)
		}
	})
}

func FuzzParseDotenv(f *testing.F) {
	f.Add([]byte("A=1\nexport B='x'\nC=\"y\\n\" # c\nD=mysafe://p/url\n"))
	f.Add([]byte("A=\"unclosed"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseDotenv(data)
		if err != nil {
			return
		}
		for _, v := range vars {
			if !ValidName(v.Name) || v.Line < 1 || (v.Ref != nil && v.Value != "") {
				t.Fatalf("bad var %+v", v)
			}
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	f.Add("a {{ mysafe://p/url }} b {{ x }}")
	f.Add("{{{{ mysafe://p }}}}")
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := ParseTemplate(s)
		if err != nil {
			return
		}
		values := map[Ref]string{}
		for _, r := range tpl.Refs() {
			values[r] = ""
		}
		out, err := tpl.Execute(values)
		if err != nil {
			t.Fatal(err)
		}
		// With every value empty, the output is the input less the
		// placeholders: never longer.
		if len(out) > len(s) {
			t.Fatalf("output longer than input: %q -> %q", s, out)
		}
		if len(tpl.Refs()) == 0 && string(out) != s {
			t.Fatalf("a template without references changed: %q -> %q", s, out)
		}
	})
}
