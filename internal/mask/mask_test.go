package mask

import (
	"bytes"
	"strings"
	"testing"
)

func masked(values []string, writes ...string) string {
	var out bytes.Buffer
	w := NewWriter(&out, values)
	for _, s := range writes {
		w.Write([]byte(s))
	}
	w.Close()
	return out.String()
}

func TestMask(t *testing.T) {
	P := Placeholder
	for _, tc := range []struct {
		name   string
		values []string
		writes []string
		want   string
	}{
		{"whole", []string{"s3cr3t"}, []string{"token=s3cr3t\n"}, "token=" + P + "\n"},
		{"split across writes", []string{"s3cr3t"}, []string{"token=s3c", "r3t\n"}, "token=" + P + "\n"},
		{"split into bytes", []string{"s3cr3t"}, strings.Split("a s3cr3t b s3cr3t", ""), "a " + P + " b " + P},
		{"twice on a line", []string{"ab"}, []string{"ab-ab\n"}, P + "-" + P + "\n"},
		{"a beginning that is not a value", []string{"s3cr3t"}, []string{"s3c", "ret s3cr\n"}, "s3cret s3cr\n"},
		{"longest wins", []string{"abc", "abcdef"}, []string{"abcd", "ef abc\n"}, P + " " + P + "\n"},
		{"shorter inside longer", []string{"abcdef", "cd"}, []string{"xabcdefx cd\n"}, "x" + P + "x " + P + "\n"},
		{"empty value ignored", []string{""}, []string{"text\n"}, "text\n"},
		{"no values", nil, []string{"s3cr3t\n"}, "s3cr3t\n"},
		{"value at the very end", []string{"s3cr3t"}, []string{"s3cr3"}, "s3cr3"},
		{"multi-line value", []string{"line1\nline2"}, []string{"a line1\n", "line2 b\n"}, "a " + P + " b\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := masked(tc.values, tc.writes...); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// What cannot become a value is passed on at once, so a prompt without a
// newline reaches the user.
func TestPassesOnWhatCannotBeAValue(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, []string{"s3cr3t"})
	w.Write([]byte("Continue? "))
	if out.String() != "Continue? " {
		t.Fatalf("held back %q", "Continue? "[out.Len():])
	}
	w.Write([]byte("s3c"))
	if out.String() != "Continue? " {
		t.Fatalf("passed on the beginning of a value: %q", out.String())
	}
}

func FuzzMask(f *testing.F) {
	f.Add("s3cr3t", "x s3cr3t y", uint8(3))
	f.Fuzz(func(t *testing.T, value, text string, cut uint8) {
		if value == "" {
			return
		}
		c := int(cut) % (len(text) + 1)
		got := masked([]string{value}, text[:c], text[c:])
		// A value that shares no character with the placeholder cannot
		// survive: the scan tries every position it passes on.
		if !strings.ContainsAny(value, Placeholder) && strings.Contains(got, value) {
			t.Fatalf("value left in %q", got)
		}
		// Splitting the writes never changes the result.
		if whole := masked([]string{value}, text); got != whole {
			t.Fatalf("split at %d: %q, whole: %q", c, got, whole)
		}
	})
}
