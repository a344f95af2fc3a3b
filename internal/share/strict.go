package share

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Signed JSON must read one way only. Go's decoder matches member names
// case-insensitively and keeps the last of two equal names, while jq and most
// people reading a file by hand see the first; a payload with both
// "permission" and "Permission" would then say one thing to a person and
// another to mysafe. So every signed object is checked against its shape
// before it is decoded: member names match exactly, none repeats, none is
// unknown, and lists and strings stay within limits. The check reads each
// token once, so its cost is linear in the size of the input.

// kind is the JSON type a shape expects.
type kind int

const (
	kindObject kind = iota + 1
	kindArray
	kindString
	kindNumber
	kindBool
	// kindAny accepts any value without looking inside.
	kindAny
)

// shape describes the JSON value expected at one place.
type shape struct {
	kind kind
	// members lists an object's members; required ones must be present.
	members map[string]member
	// elem is the shape of an array's elements.
	elem *shape
	// max bounds an array's length or a string's length in bytes; 0 means
	// no bound beyond the input's own size.
	max int
}

type member struct {
	required bool
	shape    *shape
}

func req(s *shape) member { return member{required: true, shape: s} }
func opt(s *shape) member { return member{shape: s} }

func str(max int) *shape             { return &shape{kind: kindString, max: max} }
func num() *shape                    { return &shape{kind: kindNumber} }
func obj(m map[string]member) *shape { return &shape{kind: kindObject, members: m} }
func arr(max int, elem *shape) *shape {
	return &shape{kind: kindArray, elem: elem, max: max}
}

// errNotStrict is wrapped by every error of checkStrict.
var errNotStrict = errors.New("not strict JSON")

// checkStrict reports whether data is exactly one JSON value of shape s,
// with nothing but white space after it.
func checkStrict(data []byte, s *shape) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walk(dec, s, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the value", errNotStrict)
	}
	return nil
}

func walk(dec *json.Decoder, s *shape, path string) error {
	if s.kind == kindAny {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%w: %s: %v", errNotStrict, pathOr(path), err)
		}
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", errNotStrict, pathOr(path), err)
	}
	wrong := func(want string) error {
		return fmt.Errorf("%w: %s: want %s", errNotStrict, pathOr(path), want)
	}
	switch s.kind {
	case kindObject:
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return wrong("an object")
		}
		seen := make(map[string]bool, len(s.members))
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%w: %s: %v", errNotStrict, pathOr(path), err)
			}
			name, _ := t.(string)
			m, ok := s.members[name]
			switch {
			case !ok:
				return fmt.Errorf("%w: %s: unknown member %q", errNotStrict, pathOr(path), name)
			case seen[name]:
				return fmt.Errorf("%w: %s: member %q appears twice", errNotStrict, pathOr(path), name)
			}
			seen[name] = true
			if err := walk(dec, m.shape, join(path, name)); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // '}'
			return fmt.Errorf("%w: %s: %v", errNotStrict, pathOr(path), err)
		}
		for name, m := range s.members {
			if m.required && !seen[name] {
				return fmt.Errorf("%w: %s: member %q is missing", errNotStrict, pathOr(path), name)
			}
		}
	case kindArray:
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return wrong("an array")
		}
		n := 0
		for dec.More() {
			if n++; s.max > 0 && n > s.max {
				return fmt.Errorf("%w: %s: more than %d entries", errNotStrict, pathOr(path), s.max)
			}
			if err := walk(dec, s.elem, fmt.Sprintf("%s[%d]", path, n-1)); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return fmt.Errorf("%w: %s: %v", errNotStrict, pathOr(path), err)
		}
	case kindString:
		v, ok := tok.(string)
		if !ok {
			return wrong("a string")
		}
		if s.max > 0 && len(v) > s.max {
			return fmt.Errorf("%w: %s: longer than %d bytes", errNotStrict, pathOr(path), s.max)
		}
	case kindNumber:
		if _, ok := tok.(json.Number); !ok {
			return wrong("a number")
		}
	case kindBool:
		if _, ok := tok.(bool); !ok {
			return wrong("true or false")
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func pathOr(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}
