// Package display makes text from a vault, a share bundle, a file or the
// command line safe to show on a terminal.
//
// A terminal obeys what it prints: an escape sequence can clear the screen,
// retitle the window or (OSC 52) write the clipboard; a carriage return lets
// later text overwrite earlier text; bidirectional controls reorder what is
// shown, so "txt.exe" can look like "exe.txt"; zero-width characters make two
// different names look the same. Safe renders all of these visibly escaped,
// so a person sees what is really there, and leaves ordinary text (accents,
// CJK, emoji) as it is.
//
// JSON output does not go through this package: JSON has its own escaping
// rules and must carry values exactly.
package display

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// Safe returns s with every character that could act on a terminal or hide
// what is shown replaced by a visible escape:
//
//   - tab, newline and carriage return become \t, \n and \r;
//   - other C0 controls, DEL and bytes that are not UTF-8 become \xHH
//     (so ESC, the start of every escape sequence, is \x1b);
//   - C1 controls (U+0080-U+009F, among them the one-byte CSI and OSC),
//     format characters (Unicode category Cf: bidirectional controls such as
//     U+202E, zero-width characters such as U+200B and U+FEFF, the invisible
//     tag characters) and the line and paragraph separators become \uHHHH
//     (\UHHHHHHHH above U+FFFF).
//
// Backslashes are kept as they are, so Safe(Safe(s)) == Safe(s) and a message
// built from escaped parts can be escaped again as a whole. Safe runs in time
// linear in len(s) and returns s itself when nothing needs escaping.
func Safe(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			writeByte(&b, s[i])
		} else if Unsafe(r) {
			writeRune(&b, r)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Lines splits s at newlines and escapes each line with Safe, for text
// shown over several lines (notes). A "\r\n" line end loses its "\r".
func Lines(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Safe(strings.TrimSuffix(l, "\r"))
	}
	return lines
}

// Unsafe reports whether r is escaped by Safe: a control character, a format
// character (which includes every bidirectional control and the zero-width
// characters U+200B-U+200D, U+2060 and U+FEFF) or a line or paragraph
// separator. These are the characters that act on a terminal or show as
// nothing.
func Unsafe(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return r <= 0x9f || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// IsBidiControl reports whether r is one of the characters that change the
// direction in which text is shown: the embeddings, overrides and isolates
// (U+202A-U+202E, U+2066-U+2069) and the direction marks (U+200E, U+200F,
// U+061C).
func IsBidiControl(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return r == 0x200e || r == 0x200f || r == 0x061c
}

// firstUnsafe returns the index of the first byte Safe would change, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || Unsafe(r) {
			return i
		}
		i += n
	}
	return -1
}

func writeByte(b *strings.Builder, c byte) {
	switch c {
	case '\t':
		b.WriteString(`\t`)
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	default:
		b.WriteString(`\x`)
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
}

func writeRune(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf {
		writeByte(b, byte(r))
		return
	}
	digits := 4
	if r > 0xffff {
		digits = 8
		b.WriteString(`\U`)
	} else {
		b.WriteString(`\u`)
	}
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xf])
	}
}
