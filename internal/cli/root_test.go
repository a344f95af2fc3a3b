package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/term"
)

// TestTopCommandNames: the names topCommands gives each command are the
// name and aliases the command answers to, so that a command line naming it
// builds it, and no other.
func TestTopCommandNames(t *testing.T) {
	f := &Factory{IO: &term.IOStreams{In: strings.NewReader("")}, Now: time.Now, Getenv: func(string) string { return "" }}
	seen := map[string]bool{}
	for _, c := range topCommands() {
		cmd := c.build(f)
		if want := append([]string{cmd.Name()}, cmd.Aliases...); !slices.Equal(c.names, want) {
			t.Errorf("topCommands names %q, the command answers to %q", c.names, want)
		}
		for _, n := range c.names {
			if seen[n] {
				t.Errorf("two commands answer to %q", n)
			}
			seen[n] = true
		}
	}
	for _, c := range topCommands() {
		root := newRootCmd(f, []string{c.names[len(c.names)-1], "--help"})
		if got := root.Commands(); len(got) != 1 || got[0].Name() != c.names[0] {
			t.Errorf("a command line naming %q built %d commands", c.names[len(c.names)-1], len(got))
		}
	}
	for _, args := range [][]string{nil, {"help", "list"}, {"--vault", "x", "list"}, {"lsit"}, {"__complete", "li"}, {"completion", "bash"}} {
		if got := len(newRootCmd(f, args).Commands()); got != len(topCommands()) {
			t.Errorf("%q built %d commands, want all %d", args, got, len(topCommands()))
		}
	}
}
