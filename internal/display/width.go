package display

import "github.com/rivo/uniseg"

// Width returns how many terminal columns s takes: a wide East Asian
// character (CJK, fullwidth forms) and most emoji take two, a combining mark
// takes none and joins the character before it, a flag or an emoji joined
// with U+200D is one character. It measures text as Safe leaves it; call it
// on escaped text, since a control character has no width a table could
// count on.
func Width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return uniseg.StringWidth(s)
		}
	}
	return len(s)
}
