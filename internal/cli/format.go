package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// This file is the ground floor of output: how commands format values for
// people and for scripts. Command files use these helpers instead of
// reaching into each other.

// writeJSON writes v as indented JSON, HTML characters as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// dash stands for an empty value in tables and details.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// timeLayout is how times appear in tables and the details screen: UTC to
// the minute, the same on every machine.
const timeLayout = "2006-01-02 15:04 UTC"

// apiSecrets counts API secrets in words: "1 API secret", "2 API secrets".
func apiSecrets(n int) string {
	if n == 1 {
		return "1 API secret"
	}
	return fmt.Sprintf("%d API secrets", n)
}

// fmtTime formats t with timeLayout.
func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// lastUse formats the time of a record's last use.
func lastUse(t time.Time) string { return string(appendLastUse(nil, t)) }

// appendLastUse appends lastUse(t) to b.
func appendLastUse(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "never"...)
	}
	return t.UTC().AppendFormat(b, timeLayout)
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// shortDuration prints 15m rather than 15m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}

// clock formats a time for people: local, to the second, with the zone.
func clock(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") }

// Own formats of mysafe, beside the importer's.
const (
	formatJSON   = "json"
	formatCSV    = "csv"
	formatDotenv = "dotenv" // export only; import reads dotenv files as importer.Dotenv
)

// exportFormats are the values of `export --format`.
func exportFormats() []string { return []string{formatJSON, formatCSV, formatDotenv} }
