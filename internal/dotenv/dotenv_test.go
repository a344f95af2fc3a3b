package dotenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // NAME@LINE=%q
		err      string
	}{
		{name: "bare, comments, export, BOM, CRLF",
			in:   "\ufeff# settings\nPLAIN=hello world # comment\r\nexport EXPORTED=yes\nTAB=v\t# c\nEMPTY=\n  SPACED = x  \n",
			want: []string{`PLAIN@2="hello world"`, `EXPORTED@3="yes"`, `TAB@4="v"`, `EMPTY@5=""`, `SPACED@6="x"`}},
		{name: "single quotes are literal",
			in:   "A='it s $HOME #x \\n'\n",
			want: []string{`A@1="it s $HOME #x \\n"`}},
		{name: "double quotes have escapes",
			in:   `A="a\nb \"q\" \$HOME \\ \x"   # c` + "\n",
			want: []string{`A@1="a\nb \"q\" $HOME \\ \\x"`}},
		{name: "a quoted value spans lines",
			in:   "KEY=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\nNEXT=1\n",
			want: []string{`KEY@1="-----BEGIN KEY-----\nabc\n-----END KEY-----"`, `NEXT@4="1"`}},
		{name: "dots in names", in: "app.secret=x\n", want: []string{`app.secret@1="x"`}},
		{name: "nothing is expanded", in: "A=$B ${C} `d`\n", want: []string{"A@1=\"$B ${C} `d`\""}},
		{name: "no equals sign", in: "OK=1\nTOKEN s3cr3t\n", err: "line 2 is not NAME=VALUE"},
		{name: "bad name", in: "TOK EN=s3cr3t\n", err: "line 1 is not NAME=VALUE"},
		{name: "digit first", in: "1A=x\n", err: "line 1 is not NAME=VALUE"},
		{name: "unclosed quote", in: "A=1\nB='s3cr3t\nC=2\n", err: "line 2: the quote is not closed"},
		{name: "text after the quote", in: "A='x'y\n", err: "line 1: text after the closing quote"},
		{name: "too large", in: "A=" + strings.Repeat("x", MaxSize), err: "the file is larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars, err := Parse([]byte(tc.in))
			if tc.err != "" {
				var se *SyntaxError
				if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse: %v, want an error with %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("the error shows the line: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vars {
				got = append(got, fmt.Sprintf("%s@%d=%q", v.Name, v.Line, v.Value))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("A=1\nexport B='x'\nC=\"y\\n\" # c\nD=mysafe://p/url\n"))
	f.Add([]byte("A=\"unclosed\nB=2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := Parse(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error of another type: %v", err)
			}
			return
		}
		last := 0
		for _, v := range vars {
			if !validName(v.Name) || v.Line <= last {
				t.Fatalf("bad var %+v after line %d", v, last)
			}
			last = v.Line
		}
	})
}
