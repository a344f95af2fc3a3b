//go:build unix

package cli_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// killIterations is how many writers TestKillDuringWrites starts; set
// MYSAFE_KILL_ITERATIONS for a longer run.
const killIterations = 24

// A stream of writes (add, and import of a file of several API secrets),
// each writer killed with SIGKILL at a random moment. After every kill the
// vault opens, `mysafe check` passes, every write that reported success is
// there with its exact secret, a killed add is there whole or not at all,
// and a killed import brought all of its entries or none.
func TestKillDuringWrites(t *testing.T) {
	n := killIterations
	if v := os.Getenv("MYSAFE_KILL_ITERATIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("MYSAFE_KILL_ITERATIONS=%q", v)
		}
	}
	s := newSandbox(t)
	s.initVault()
	// The vault identity skips scrypt, so the kills land on the writing,
	// not on the key derivation.
	id := strings.TrimSpace(s.must(s.env("MYSAFE_PASSPHRASE="+testPassphrase), "identity", "export").stdout)
	env := s.env("MYSAFE_IDENTITY=" + id)

	const perImport = 8
	saved := map[string]string{} // identifier -> secret of every write that reported success
	var stats struct {
		addDone, addKilledKept, addKilledLost         int
		importDone, importKilledAll, importKilledNone int
	}
	// Each writer is killed at a random moment between its start and a
	// little after the time a writer of its kind took to finish here, so
	// the kills land at every stage (start, unlock, write, commit, erase)
	// and some writers finish first, however fast this machine is.
	window := map[bool]time.Duration{}
	for i := range n {
		// The secret differs in length from one write to the next, so a
		// torn write could not pass for another one.
		secretOf := func(ident string) string { return "secret-" + ident + "-" + strings.Repeat("x", len(ident)*i%97) }
		var idents []string
		var cmd *exec.Cmd
		if i%2 == 0 {
			ident := fmt.Sprintf("add-%03d", i)
			idents = []string{ident}
			cmd = s.command(env, "add", "api-secret", "--name", ident, "--identifier", ident,
				"--url", "https://kill.example", "--client-id", "c-"+ident, "--client-secret-stdin")
			cmd.Stdin = strings.NewReader(secretOf(ident))
		} else {
			var entries []map[string]string
			for j := range perImport {
				ident := fmt.Sprintf("imp-%03d-%d", i, j)
				idents = append(idents, ident)
				entries = append(entries, map[string]string{"name": ident, "identifier": ident,
					"url": "https://kill.example", "client_id": "c-" + ident, "client_secret": secretOf(ident)})
			}
			b, err := json.Marshal(entries)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(s.dir, fmt.Sprintf("import-%03d.json", i))
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd = s.command(env, "import", "--format", "json", file)
		}

		isAdd := len(idents) == 1
		var killed bool
		if w, ok := window[isAdd]; ok {
			killed = runAndKill(t, cmd, rand.N(w))
		} else {
			start := time.Now()
			killed = runAndKill(t, cmd, time.Hour)
			window[isAdd] = time.Since(start) * 5 / 4
		}

		present := s.listIDs(env)
		kept := 0
		for _, ident := range idents {
			if _, ok := present[ident]; ok {
				kept++
				// Whole: the exact secret, whatever happened.
				if got := s.must(env, "reveal", ident).stdout; strings.TrimSuffix(got, "\n") != secretOf(ident) {
					t.Fatalf("iteration %d: %s holds %q, want %q", i, ident, got, secretOf(ident))
				}
			}
		}
		switch {
		case !killed && kept != len(idents):
			t.Fatalf("iteration %d: the write reported success but %d of %d API secrets are there", i, kept, len(idents))
		case kept != 0 && kept != len(idents):
			t.Fatalf("iteration %d: a killed import left %d of its %d API secrets", i, kept, len(idents))
		}
		if !killed {
			for _, ident := range idents {
				saved[ident] = secretOf(ident)
			}
		}
		switch {
		case len(idents) == 1 && !killed:
			stats.addDone++
		case len(idents) == 1 && kept > 0:
			stats.addKilledKept++
		case len(idents) == 1:
			stats.addKilledLost++
		case !killed:
			stats.importDone++
		case kept > 0:
			stats.importKilledAll++
		default:
			stats.importKilledNone++
		}

		// The whole file checks out, and nothing that was reported saved
		// has gone missing since.
		if r := s.run(env, "check"); r.code != 0 {
			t.Fatalf("iteration %d: mysafe check: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
		}
		for ident := range saved {
			if _, ok := present[ident]; !ok {
				t.Fatalf("iteration %d: %s, reported saved earlier, is gone", i, ident)
			}
		}
	}
	// Nothing was left beside the vault.
	entries, err := os.ReadDir(filepath.Dir(s.vaultPath()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(s.vaultPath()) {
			t.Errorf("left beside the vault: %s", e.Name())
		}
	}
	t.Logf("%d writers, each killed at a random moment within %v (add) or %v (import): add: %d finished first, %d killed after the commit, %d killed before it; import of %d: %d finished first, %d killed after the commit, %d killed before it",
		n, window[true], window[false], stats.addDone, stats.addKilledKept, stats.addKilledLost, perImport, stats.importDone, stats.importKilledAll, stats.importKilledNone)
}

// runAndKill starts cmd, sends it SIGKILL after delay unless it has ended,
// and reports whether it was killed. A writer that ends on its own must
// succeed.
func runAndKill(t *testing.T, cmd *exec.Cmd, delay time.Duration) bool {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	err := cmd.Wait()
	timer.Stop()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	return false
}
