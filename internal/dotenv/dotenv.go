// Package dotenv parses .env files, the one parser behind `mysafe exec
// --env-file` and `mysafe import --format dotenv`.
//
// A file is NAME=VALUE lines, each optionally starting with "export ";
// blank lines and lines starting with # are skipped. A bare value ends at
// " #" or "\t#" (a comment) and loses its surrounding blanks. In single
// quotes a value is literal; in double quotes \n, \r, \t, \", \\, \$ and \`
// are escapes. A quoted value may span lines. Nothing is expanded: $VAR
// stays as written, so a secret holding a dollar sign arrives intact.
package dotenv

import (
	"errors"
	"fmt"
	"strings"
)

// MaxSize bounds a file; a dotenv file of secrets is a few kilobytes.
const MaxSize = 1 << 20

// Var is one assignment.
type Var struct {
	Name  string
	Value string
	Line  int // where the assignment starts, from 1
}

// ErrSyntax is wrapped by every *SyntaxError.
var ErrSyntax = errors.New("invalid dotenv file")

// SyntaxError says which line is wrong and why. It never quotes the line:
// the line may hold a secret.
type SyntaxError struct {
	Line int    // 0 for the whole file
	Msg  string // "" when the line is not an assignment at all
}

func (e *SyntaxError) Error() string {
	switch {
	case e.Line == 0:
		return e.Msg
	case e.Msg == "":
		return fmt.Sprintf("line %d is not NAME=VALUE", e.Line)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Parse parses data. Names are letters, digits, underscores and dots, not
// starting with a digit; a caller that sets environment variables checks
// its own stricter rule. Errors are *SyntaxError.
func Parse(data []byte) ([]Var, error) {
	if len(data) > MaxSize {
		return nil, &SyntaxError{Msg: fmt.Sprintf("the file is larger than %d bytes", MaxSize)}
	}
	s := strings.ReplaceAll(strings.TrimPrefix(string(data), "\ufeff"), "\r\n", "\n")
	var out []Var
	line := 1
	for len(s) > 0 {
		var cur string
		cur, s, _ = strings.Cut(s, "\n")
		start := line
		line++
		t := strings.TrimSpace(cur)
		if t == "" || t[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(t, "export "); ok {
			t = strings.TrimLeft(rest, " \t")
		}
		name, rest, ok := strings.Cut(t, "=")
		name = strings.TrimSpace(name)
		if !ok || !validName(name) {
			return nil, &SyntaxError{Line: start}
		}
		rest = strings.TrimLeft(rest, " \t")
		var value string
		if rest != "" && (rest[0] == '\'' || rest[0] == '"') {
			q := rest[0]
			body := rest[1:]
			for {
				end := closingQuote(body, q)
				if end >= 0 {
					if tail := strings.TrimSpace(body[end+1:]); tail != "" && tail[0] != '#' {
						return nil, &SyntaxError{Line: start, Msg: "text after the closing quote"}
					}
					body = body[:end]
					break
				}
				if s == "" {
					return nil, &SyntaxError{Line: start, Msg: "the quote is not closed"}
				}
				var next string
				next, s, _ = strings.Cut(s, "\n")
				line++
				body += "\n" + next
			}
			value = body
			if q == '"' {
				value = unescape(body)
			}
		} else {
			value = stripComment(rest)
		}
		out = append(out, Var{Name: name, Value: value, Line: start})
	}
	return out, nil
}

// stripComment cuts a bare value at " #" or "\t#" and trims it.
func stripComment(v string) string {
	for _, c := range []string{" #", "\t#"} {
		if i := strings.Index(v, c); i >= 0 {
			v = v[:i]
		}
	}
	return strings.TrimSpace(v)
}

func validName(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r == '.' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// closingQuote finds the closing quote q in s, or -1; in double quotes a
// backslash escapes the next byte.
func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '"', '\\', '$', '`':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
