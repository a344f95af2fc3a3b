package ref

import (
	"fmt"
	"strings"
)

// Template is a text with {{ mysafe://... }} placeholders. Other {{ }} are
// left as they are, so templates of other tools pass through.
type Template struct {
	parts []part
}

type part struct {
	text string
	ref  *Ref
}

// maxTemplate bounds a template.
const maxTemplate = 16 << 20

// ParseTemplate finds the placeholders in text: "{{", optional blanks, a
// full reference, optional blanks, "}}". A placeholder that starts like a
// reference but is not a valid one, or is not closed on its line, is an
// error naming its line.
func ParseTemplate(text string) (*Template, error) {
	if len(text) > maxTemplate {
		return nil, fmt.Errorf("%w: the template is larger than %d bytes", ErrSyntax, maxTemplate)
	}
	t := &Template{}
	rest := text
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			break
		}
		inner := strings.TrimLeft(rest[i+2:], " \t")
		if !IsRef(inner) {
			t.parts = append(t.parts, part{text: rest[:i+2]})
			rest = rest[i+2:]
			continue
		}
		line := 1 + strings.Count(text[:len(text)-len(rest)+i], "\n")
		end := strings.Index(inner, "}}")
		if nl := strings.IndexByte(inner, '\n'); end < 0 || nl >= 0 && nl < end {
			return nil, fmt.Errorf("%w: line %d: {{ %s... is not closed with }} on its line", ErrSyntax, line, Scheme)
		}
		r, err := Parse(strings.TrimRight(inner[:end], " \t"))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		t.parts = append(t.parts, part{text: rest[:i]}, part{ref: &r})
		rest = inner[end+2:]
	}
	t.parts = append(t.parts, part{text: rest})
	return t, nil
}

// Refs returns the template's references, in order, repeated as often as
// they appear.
func (t *Template) Refs() []Ref {
	var refs []Ref
	for _, p := range t.parts {
		if p.ref != nil {
			refs = append(refs, *p.ref)
		}
	}
	return refs
}

// Execute returns the text with every reference replaced by its value in
// values (from Resolve). A reference missing from values is an error.
func (t *Template) Execute(values map[Ref]string) ([]byte, error) {
	var sb strings.Builder
	for _, p := range t.parts {
		if p.ref == nil {
			sb.WriteString(p.text)
			continue
		}
		v, ok := values[*p.ref]
		if !ok {
			return nil, fmt.Errorf("%s was not resolved", p.ref)
		}
		sb.WriteString(v)
	}
	return []byte(sb.String()), nil
}
