package ref

import (
	"fmt"
	"strings"

	"github.com/mysafe/mysafe/internal/dotenv"
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

// ParseDotenv parses a dotenv file with dotenv.Parse (see there for the
// syntax) and takes a value that starts with mysafe:// as a reference.
// Every name must also be a portable environment variable name (ValidName).
// Errors name the line, never its content, which may be a secret.
func ParseDotenv(data []byte) ([]Var, error) {
	parsed, err := dotenv.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	vars := make([]Var, 0, len(parsed))
	for _, p := range parsed {
		if !ValidName(p.Name) {
			return nil, fmt.Errorf("%w: %v", ErrSyntax, &dotenv.SyntaxError{Line: p.Line})
		}
		out := Var{Name: p.Name, Value: p.Value, Line: p.Line}
		if IsRef(p.Value) {
			r, err := Parse(p.Value)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", p.Line, err)
			}
			out.Ref, out.Value = &r, ""
		}
		vars = append(vars, out)
	}
	return vars, nil
}
