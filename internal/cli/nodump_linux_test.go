package cli_test

import (
	"fmt"
	"os"
	"regexp"
	"syscall"
	"testing"
)

// A running mysafe (here: waiting at the passphrase prompt, about to hold a
// secret) has a core size limit of 0, even when started with unlimited
// cores allowed.
func TestNoCoreDumps(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &old); err != nil {
		t.Fatal(err)
	}
	// The child inherits what the test has: allow cores, as `ulimit -c
	// unlimited` would, as far as this process may.
	raised := syscall.Rlimit{Cur: old.Max, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &raised); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_CORE, &old)
	if raised.Cur == 0 {
		t.Skip("core files are already forbidden here; nothing to observe")
	}

	s := newSandbox(t)
	s.initVault()
	term := openTerminal(t)
	ss := s.startAtTerminal(term, s.env("MYSAFE_TEST_REAL_MAIN=1"), "list")
	term.expect(0, "Passphrase for ")
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", ss.pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Max core file size\s+(\S+)\s+(\S+)`).FindSubmatch(limits)
	if m == nil {
		t.Fatalf("no core limit in:\n%s", limits)
	}
	if string(m[1]) != "0" || string(m[2]) != "0" {
		t.Errorf("core file size limit of a running mysafe = %s (hard %s), want 0", m[1], m[2])
	}
}
