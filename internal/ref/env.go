package ref

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Var is one environment variable to set: a literal value, or a reference
// to resolve (Ref is set).
type Var struct {
	Name  string
	Value string // the literal value, when Ref is nil
	Ref   *Ref
	Line  int // the line of a dotenv file it came from; 0 for --env
}

// ValidName reports whether s can name an environment variable portably:
// a letter or underscore, then letters, digits and underscores.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// ParseEnvFlag parses --env NAME=REF[/field]: the value is always a
// reference, written out in full or not.
func ParseEnvFlag(s string) (Var, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || !ValidName(name) {
		return Var{}, fmt.Errorf("%w: --env wants NAME=REF[/field], got %q", ErrSyntax, clip(s))
	}
	r, err := ParseShort(value)
	if err != nil {
		return Var{}, err
	}
	return Var{Name: name, Ref: &r}, nil
}

// maxDotenv bounds a dotenv file.
const maxDotenv = 1 << 20

// ParseDotenv parses a dotenv file: NAME=VALUE lines, optionally starting
// with "export "; blank lines and lines starting with # are skipped. A value
// is taken literally, up to a " #" comment and without surrounding blanks;
// in single quotes it is literal; in double quotes \n, \r, \t, \" and \\ are
// escapes. Nothing is expanded ($VAR stays as written). A value that starts
// with mysafe:// is a reference. Errors name the line, never its content,
// which may be a secret.
func ParseDotenv(data []byte) ([]Var, error) {
	if len(data) > maxDotenv {
		return nil, fmt.Errorf("%w: the file is larger than %d bytes", ErrSyntax, maxDotenv)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var vars []Var
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export "); ok {
			line = strings.TrimLeft(rest, " \t")
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !ValidName(name) {
			return nil, fmt.Errorf("%w: line %d is not NAME=VALUE", ErrSyntax, n)
		}
		v, err := dotenvValue(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrSyntax, n, err)
		}
		out := Var{Name: name, Value: v, Line: n}
		if IsRef(v) {
			r, err := Parse(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			out.Ref, out.Value = &r, ""
		}
		vars = append(vars, out)
	}
	return vars, nil
}

func dotenvValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", errors.New("the single quote is not closed on the line")
		}
		if rest := strings.TrimSpace(v[end+2:]); rest != "" && rest[0] != '#' {
			return "", errors.New("text after the closing quote")
		}
		return v[1 : end+1], nil
	case '"':
		var sb strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '"':
				if rest := strings.TrimSpace(v[i+1:]); rest != "" && rest[0] != '#' {
					return "", errors.New("text after the closing quote")
				}
				return sb.String(), nil
			case c == '\\' && i+1 < len(v):
				i++
				switch v[i] {
				case 'n':
					sb.WriteByte('\n')
				case 'r':
					sb.WriteByte('\r')
				case 't':
					sb.WriteByte('\t')
				case '"', '\\', '$':
					sb.WriteByte(v[i])
				default:
					sb.WriteByte('\\')
					sb.WriteByte(v[i])
				}
			default:
				sb.WriteByte(c)
			}
		}
		return "", errors.New("the double quote is not closed on the line")
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "\t#"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}
