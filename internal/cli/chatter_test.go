package cli

import (
	"bytes"
	"testing"

	"github.com/mysafe/mysafe/internal/term"
)

// Success chatter shows at a terminal or with --verbose, never with
// --quiet; notices (warnings) always show. Neither ever goes to stdout.
func TestChatterAndNotice(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		stderrTTY, verbose, quiet bool
		chatter                   bool
	}{
		{"piped", false, false, false, false},
		{"piped verbose", false, true, false, true},
		{"terminal", true, false, false, true},
		{"terminal quiet", true, false, true, false},
		{"piped quiet", false, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			f := &Factory{IO: &term.IOStreams{Out: &out, ErrOut: &errOut, StderrTTY: tc.stderrTTY}, Verbose: tc.verbose, Quiet: tc.quiet}
			f.chatter("Saved %s", "pay\x1b[2J")
			want := ""
			if tc.chatter {
				want = "Saved pay\\x1b[2J\n"
			}
			if got := errOut.String(); got != want {
				t.Errorf("chatter wrote %q to stderr, want %q", got, want)
			}
			errOut.Reset()
			f.notice("mysafe: warning: %s", "careful")
			if got := errOut.String(); got != "mysafe: warning: careful\n" {
				t.Errorf("notice wrote %q", got)
			}
			if out.Len() != 0 {
				t.Errorf("stdout got %q", out.String())
			}
		})
	}
}
