package display

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafe(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "payments-prod (id 0123)", "payments-prod (id 0123)"},
		{"accents", "Zürich café ñandú", "Zürich café ñandú"},
		{"cjk", "支付 決済 결제", "支付 決済 결제"},
		{"emoji with variation selector", "🔑 ❤️ 👍🏽", "🔑 ❤️ 👍🏽"},
		{"rtl letters", "שלום مرحبا", "שלום مرحبا"},
		{"backslash kept", `C:\keys\x1b`, `C:\keys\x1b`},
		{"tab newline cr", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"clear screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"osc 52 clipboard write", "\x1b]52;c;ZWNobyBoaQ==\x07", `\x1b]52;c;ZWNobyBoaQ==\x07`},
		{"osc title with st", "\x1b]0;pwned\x1b\\", `\x1b]0;pwned\x1b\`},
		{"nul and del", "a\x00b\x7f", `a\x00b\x7f`},
		{"c1 csi", "a\u009b2Jb", `a\u009b2Jb`},
		{"c1 osc", "\u009d52;c;x\u009c", `\u009d52;c;x\u009c`},
		{"nel", "a\u0085b", `a\u0085b`},
		{"rlo", "invoice\u202etxt.exe", `invoice\u202etxt.exe`},
		{"lre rle pdf lro", "\u202a\u202b\u202c\u202d", `\u202a\u202b\u202c\u202d`},
		{"isolates", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"zero width", "pay\u200bments\u200c\u200d\u2060\ufeff", `pay\u200bments\u200c\u200d\u2060\ufeff`},
		{"line and paragraph separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"tag characters", "a\U000E0041\U000E007F", `a\U000e0041\U000e007f`},
		{"soft hyphen", "pay\u00adments", `pay\u00adments`},
		{"invalid utf-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"replacement character itself kept", "a\ufffdb", "a\ufffdb"},
		{"mixed", "Zürich\x1b[31m支付\u202e", `Zürich\x1b[31m支付\u202e`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Safe(tt.in); got != tt.want {
				t.Errorf("Safe(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSafeUnchangedIsSameString(t *testing.T) {
	s := strings.Repeat("plain text ü 支 ", 100)
	if got := Safe(s); got != s {
		t.Fatal("plain text changed")
	}
	if n := testing.AllocsPerRun(10, func() { Safe(s) }); n != 0 {
		t.Errorf("Safe of plain text allocated %v times", n)
	}
}

func TestLines(t *testing.T) {
	got := Lines("first\r\nsecond \x1b[2J\nthird\u202e")
	want := []string{"first", `second \x1b[2J`, `third\u202e`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

func TestIsBidiControl(t *testing.T) {
	for _, r := range []rune{0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c} {
		if !IsBidiControl(r) {
			t.Errorf("IsBidiControl(%U) = false", r)
		}
		if !Unsafe(r) {
			t.Errorf("Unsafe(%U) = false for a bidi control", r)
		}
	}
	for _, r := range []rune{'a', 'א', 0x2029, 0x2065, 0x202f, 0x061b} {
		if IsBidiControl(r) {
			t.Errorf("IsBidiControl(%U) = true", r)
		}
	}
}

// TestSafeLinear checks that escaping grows with the input, not faster: a
// long hostile string costs a bounded number of bytes per input byte.
func TestSafeLinear(t *testing.T) {
	in := strings.Repeat("\x1b\u202e\xff", 100000)
	out := Safe(in)
	if len(out) > 6*len(in) {
		t.Fatalf("output %d bytes for %d input bytes", len(out), len(in))
	}
}

func BenchmarkSafePlain(b *testing.B) {
	s := strings.Repeat("payments-prod Zürich 支付 ", 10)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Safe(s)
	}
}

func BenchmarkSafeHostile(b *testing.B) {
	s := strings.Repeat("\x1b]52;c;\u202e\u200b", 30)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Safe(s)
	}
}

func FuzzSafe(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "\x1b]52;c;aGk=\x07", "a\u202eb", "\xff\xfe", "\u200b\ufeff", "Zürich 支付 🔑"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Safe(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Safe(%q) = %q is not valid UTF-8", s, out)
		}
		for _, r := range out {
			if Unsafe(r) {
				t.Fatalf("Safe(%q) = %q still holds %U", s, out, r)
			}
		}
		if again := Safe(out); again != out {
			t.Fatalf("Safe is not idempotent: %q then %q", out, again)
		}
		if firstUnsafe(s) < 0 && out != s {
			t.Fatalf("Safe changed safe text %q to %q", s, out)
		}
		if len(out) > 10*len(s) {
			t.Fatalf("Safe(%q) grew from %d to %d bytes", s, len(s), len(out))
		}
	})
}

func TestWidth(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"payments", 8},
		{"Zürich", 6},         // precomposed ü
		{"Zu\u0308rich", 6},   // u and a combining diaeresis
		{"支付", 4},             // wide CJK
		{"ｐａｙ", 6},            // fullwidth Latin
		{"カード", 6},            // katakana
		{"🔑", 2},              // emoji
		{"👩\u200d💻", 2},       // one emoji joined with U+200D
		{"🇩🇪", 2},             // a flag: two regional indicators
		{"결제 API", 8},         // Hangul syllables
		{"e\u0301\u0302x", 2}, // two combining marks on e
		{`pay\x1b[2J`, 10},    // escaped text is as wide as it looks
	} {
		if got := Width(tc.s); got != tc.want {
			t.Errorf("Width(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}
