package importer

import (
	"fmt"
	"strings"

	"github.com/mysafe/mysafe/internal/secret"
)

// envVar is one assignment of a dotenv file.
type envVar struct {
	line       int
	key, value string
}

// parseDotenv reads KEY=value lines: an optional `export `, values bare
// (a ` #` starts a comment), in single quotes (taken literally) or in double
// quotes (with \n, \t, \" and \\ escapes); quoted values may span lines.
// Unlike shells and most dotenv loaders it never expands $VAR: a secret
// holding a dollar sign must arrive intact.
func parseDotenv(data []byte) ([]envVar, error) {
	s := strings.ReplaceAll(strings.TrimPrefix(string(data), "\ufeff"), "\r\n", "\n")
	var out []envVar
	line := 1
	for len(s) > 0 {
		var cur string
		cur, s, _ = strings.Cut(s, "\n")
		start := line
		line++
		t := strings.TrimSpace(cur)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		key, rest, ok := strings.Cut(t, "=")
		key = strings.TrimSpace(key)
		if !ok || !validEnvKey(key) {
			return nil, formatErr("line %d is not a KEY=value assignment", start)
		}
		rest = strings.TrimLeft(rest, " \t")
		var value string
		switch {
		case strings.HasPrefix(rest, "'") || strings.HasPrefix(rest, `"`):
			q := rest[0]
			body := rest[1:]
			for {
				end := closingQuote(body, q)
				if end >= 0 {
					tail := strings.TrimSpace(body[end+1:])
					if tail != "" && !strings.HasPrefix(tail, "#") {
						return nil, formatErr("line %d: text after the closing quote", start)
					}
					body = body[:end]
					break
				}
				if s == "" {
					return nil, formatErr("line %d: the quoted value of %s is not closed", start, key)
				}
				var next string
				next, s, _ = strings.Cut(s, "\n")
				line++
				body += "\n" + next
			}
			value = body
			if q == '"' {
				value = unescapeDouble(body)
			}
		default:
			if i := strings.Index(rest, " #"); i >= 0 {
				rest = rest[:i]
			}
			value = strings.TrimSpace(rest)
		}
		out = append(out, envVar{line: start, key: key, value: value})
	}
	return out, nil
}

func validEnvKey(k string) bool {
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

// closingQuote finds the unescaped closing quote q in s, or -1.
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

func unescapeDouble(s string) string {
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

// readDotenv maps a dotenv file: variables named like a URL, client ID or
// token URL set that field of every record of the file; every other
// variable becomes a record named after it, holding its value as the client
// secret.
func readDotenv(data []byte) ([]*draft, error) {
	vars, err := parseDotenv(data)
	if err != nil {
		return nil, err
	}
	kv := make([]keyValue, len(vars))
	for i, v := range vars {
		kv[i] = keyValue{where: fmt.Sprintf("line %d", v.line), key: v.key, value: v.value}
	}
	return perVariable(kv, "dotenv variable"), nil
}

// keyValue is one named value of a flat source (a dotenv file, a Postman
// environment).
type keyValue struct {
	where, key, value string
	note              string // extra note for the record, if any
}

// perVariable maps a flat set of named values: the values that name a URL,
// a client ID, a token URL or a method are shared by every record; each
// other value becomes one record named after its key.
func perVariable(kv []keyValue, what string) []*draft {
	shared := newDraft("")
	var own []keyValue
	for _, v := range kv {
		switch classify(v.key) {
		case kindURL:
			if looksLikeURL(v.value) && shared.rec.URL == "" {
				shared.rec.URL = v.value
				shared.note("URL from", v.key)
				continue
			}
		case kindClientID:
			if shared.rec.ClientID == "" && v.value != "" {
				shared.rec.ClientID = v.value
				shared.note("client ID from", v.key)
				continue
			}
		case kindTokenURL:
			if shared.rec.TokenURL == "" && v.value != "" {
				shared.rec.TokenURL = v.value
				shared.note("token URL from", v.key)
				continue
			}
		case kindMethod:
			if shared.rec.Method == "" && v.value != "" {
				shared.rec.Method = v.value
				continue
			}
		}
		own = append(own, v)
	}
	var out []*draft
	for _, v := range own {
		d := newDraft(v.where + " (" + v.key + ")")
		d.rec.Name = v.key
		d.rec.URL, d.rec.ClientID, d.rec.Method, d.rec.TokenURL = shared.rec.URL, shared.rec.ClientID, shared.rec.Method, shared.rec.TokenURL
		d.rec.ClientSecret = secret.NewValue(v.value)
		d.extra = append(d.extra, what+": "+v.key)
		if v.note != "" {
			d.extra = append(d.extra, v.note)
		}
		d.extra = append(d.extra, shared.extra...)
		out = append(out, d)
	}
	return out
}
