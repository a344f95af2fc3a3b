package secret

import (
	"time"
	"unicode/utf8"
)

// AppendJSONList appends recs as an indented JSON array, exactly as
// encoding/json's Encoder (two-space indent, HTML escaping off) would write
// it, newline included. `list --json` prints ten thousand records; going
// through reflection for each one costs more than everything else the
// command does. TestAppendJSONListMatchesEncodingJSON and a fuzz target keep
// the two in step.
func AppendJSONList(b []byte, recs []JSON) []byte {
	if len(recs) == 0 {
		return append(b, "[]\n"...)
	}
	b = append(b, "[\n"...)
	for i := range recs {
		b = appendRecord(b, &recs[i])
		if i < len(recs)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, "]\n"...)
}

func appendRecord(b []byte, j *JSON) []byte {
	const in = "    "
	b = append(b, "  {\n"...)
	field := func(name string) {
		b = append(b, in...)
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, "\": "...)
	}
	str := func(name, v string) {
		field(name)
		b = appendString(b, v)
		b = append(b, ",\n"...)
	}
	str("id", j.ID)
	str(FieldName.Key(), j.Name)
	str(FieldURL.Key(), j.URL)
	str(FieldClientID.Key(), j.ClientID)
	str(FieldIdentifier.Key(), j.Identifier)
	str(FieldMethod.Key(), j.Method)
	str(FieldTokenURL.Key(), j.TokenURL)
	str(FieldTokenAuth.Key(), j.TokenAuth)
	field("tags")
	b = appendStrings(b, j.Tags, in)
	b = append(b, ",\n"...)
	str(FieldNotes.Key(), j.Notes)
	str("owner", j.Owner)
	str("permission", string(j.Permission))
	field("created_at")
	b = appendTime(b, j.CreatedAt)
	b = append(b, ",\n"...)
	field("updated_at")
	b = appendTime(b, j.UpdatedAt)
	b = append(b, ",\n"...)
	field("last_used_at")
	if j.LastUsedAt == nil {
		b = append(b, "null"...)
	} else {
		b = appendTime(b, *j.LastUsedAt)
	}
	b = append(b, ",\n"...)
	field("access")
	if j.Access == nil {
		b = append(b, "null"...)
	} else if len(j.Access) == 0 {
		b = append(b, "[]"...)
	} else {
		b = append(b, "[\n"...)
		for i, a := range j.Access {
			b = append(b, in+"  {\n"...)
			b = append(b, in+"    \"name\": "...)
			b = appendString(b, a.Name)
			b = append(b, ",\n"+in+"    \"recipient\": "...)
			b = appendString(b, a.Recipient)
			b = append(b, ",\n"+in+"    \"permission\": "...)
			b = appendString(b, string(a.Permission))
			if a.RevokedAt != nil {
				b = append(b, ",\n"+in+"    \"revoked_at\": "...)
				b = appendTime(b, *a.RevokedAt)
			}
			b = append(b, "\n"+in+"  }"...)
			if i < len(j.Access)-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
		}
		b = append(b, in+"]"...)
	}
	return append(b, "\n  }"...)
}

func appendStrings(b []byte, ss []string, in string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	if len(ss) == 0 {
		return append(b, "[]"...)
	}
	b = append(b, "[\n"...)
	for i, s := range ss {
		b = append(b, in+"  "...)
		b = appendString(b, s)
		if i < len(ss)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, in+"]"...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does with
// HTML escaping off: short escapes for quote, backslash, \b, \f, \n, \r and
// \t, \u00XX for other control characters, \u2028 and \u2029 escaped, and
// invalid UTF-8 replaced by \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
