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
		in         string
		rec, field string
		err        string
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
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrSyntax) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error with %q", tc.in, r, err, tc.err)
				}
				return
			}
			if err != nil || r.Record != tc.rec || r.Field.Name() != tc.field {
				t.Fatalf("Parse(%q) = %+v, %v; want %s / %s", tc.in, r, err, tc.rec, tc.field)
			}
			// What String writes parses back to the same reference.
			if again, err := Parse(r.String()); err != nil || again != r {
				t.Fatalf("Parse(%q) = %+v, %v", r.String(), again, err)
			}
		})
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
	if len(refs) != 3 || refs[0] != (Ref{"payments", secret.FieldURL}) || refs[1] != (Ref{"payments", secret.FieldClientSecret}) {
		t.Fatalf("Refs() = %+v", refs)
	}
	out, err := tpl.Execute(map[Ref]string{{"payments", secret.FieldURL}: "https://pay.example", {"payments", secret.FieldClientSecret}: "s3cr3t"})
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
	refs := []Ref{{"payments", secret.FieldClientSecret}, {"payments", secret.FieldURL}, {"payments", secret.FieldClientSecret}, {"nosecret", secret.FieldClientID}}
	got, err := Resolve(refs, find)
	if err != nil {
		t.Fatal(err)
	}
	if got[refs[0]] != "s3cr3t" || got[refs[1]] != "https://pay.example" || got[refs[3]] != "n" || calls != 3 {
		t.Fatalf("Resolve = %v (%d lookups)", got, calls)
	}
	_, err = Resolve([]Ref{{"payments", secret.FieldURL}, {"missing", secret.FieldURL}}, find)
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Ref.Record != "missing" || !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("unknown reference: %v", err)
	}
	if _, err := Resolve([]Ref{{"nosecret", secret.FieldClientSecret}}, find); !errors.Is(err, ErrEmptySecret) {
		t.Fatalf("empty client secret: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"mysafe://payments", "mysafe://a/b/url", "mysafe://x/", "payments/client_id", "mysafe://\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseShort(s)
		if err != nil {
			return
		}
		if r.Field.Name() == "" || r.Record == "" {
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
