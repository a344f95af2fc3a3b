//go:build linux

package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSyncProgressAtTerminal: sync says what it is doing (fetching,
// pushing) on stderr when stderr is a terminal, and nothing of it when
// stderr is a pipe, as in a script.
func TestSyncProgressAtTerminal(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is required in CI")
		}
		t.Skip("git is not installed")
	}
	s := newSandbox(t)
	s.initVault()
	env := s.env("MYSAFE_PASSPHRASE="+testPassphrase, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=alice", "GIT_AUTHOR_EMAIL=alice@example.com",
		"GIT_COMMITTER_NAME=alice", "GIT_COMMITTER_EMAIL=alice@example.com")
	r := s.must(env, "team", "init", filepath.Join(s.dir, "team.git"))
	if strings.Contains(r.stderr, "Fetching") || strings.Contains(r.stderr, "Pushing") {
		t.Fatalf("progress on a pipe:\n%s", r.stderr)
	}
	// Something to push: a new member's card.
	s.must(env, "team", "add-member", "ci-deploy", "age1u6vet8jkdffwrnx6nh3syhvm4cs7d4nedrn9mt7gfg6c2mxf83zs49jsmp")

	term := openTerminal(t)
	cmd := s.command(env, "sync")
	var stdout bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = term.slave, &stdout, term.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sync: %v\nterminal:\n%s", err, term.output())
		}
	case <-time.After(ptyDeadline):
		cmd.Process.Kill()
		t.Fatalf("sync did not finish; terminal:\n%s", term.output())
	}
	term.expect(0, "Fetching ")
	term.expect(0, "Pushing 1 file(s) ...")
}
