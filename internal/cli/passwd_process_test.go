package cli_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envTestCLI makes the test binary run as mysafe (see TestMain).
const envTestCLI = "MYSAFE_TEST_CLI"

// procEnv is the environment of mysafe processes started by a Go test: a
// home of their own, the vault in it, and the given extra variables.
type procEnv struct {
	dir   string
	vault string
}

func newProcEnv(t *testing.T) *procEnv {
	t.Helper()
	dir := t.TempDir()
	return &procEnv{dir: dir, vault: filepath.Join(dir, "vault.db")}
}

// cmd returns mysafe with args, run as its own process.
func (p *procEnv) cmd(stdin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{envTestCLI + "=1", "HOME=" + p.dir, "TZ=UTC", "USER=tester", "MYSAFE_NO_INPUT=1",
		"MYSAFE_VAULT=" + p.vault, "XDG_STATE_HOME=" + filepath.Join(p.dir, "state"),
		"XDG_RUNTIME_DIR=" + filepath.Join(p.dir, "run"), "XDG_CONFIG_HOME=" + filepath.Join(p.dir, "config"),
		"PATH=" + os.Getenv("PATH"), "GOCOVERDIR=" + os.Getenv("GOCOVERDIR"), "GORACE=" + os.Getenv("GORACE")}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs mysafe and returns its exit code, stdout and stderr.
func (p *procEnv) run(t *testing.T, stdin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := p.cmd(stdin, env, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func (p *procEnv) mustRun(t *testing.T, stdin string, env []string, args ...string) string {
	t.Helper()
	code, out, errOut := p.run(t, stdin, env, args...)
	if code != 0 {
		t.Fatalf("mysafe %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// oneLine checks that a failed command said exactly one "mysafe: " line.
func oneLine(t *testing.T, what, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "mysafe: ") {
		t.Errorf("%s: stderr is not one mysafe: line:\n%s", what, stderr)
	}
}

func addArgs(name string) []string {
	return []string{"add", "api-secret", "--name", name, "--url", "https://" + name + ".example",
		"--client-id", name + "-app", "--client-secret-stdin"}
}

// TestPasswdWithWaitingWriterProcesses starts `passwd` (and `passwd
// --rotate`) together with several `add` processes that unlocked with the
// old passphrase: every add that exits 0 is in the vault afterwards and
// reveals its secret with the new passphrase; every other add says why in
// one line, with a documented exit code, and left nothing behind.
func TestPasswdWithWaitingWriterProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	for round, rotate := range []bool{false, true, false} {
		t.Run(fmt.Sprintf("round %d rotate %v", round, rotate), func(t *testing.T) {
			p := newProcEnv(t)
			oldPass := []string{"MYSAFE_PASSPHRASE=old-pass", "MYSAFE_LOCK_TIMEOUT=30s"}
			newPassFile := filepath.Join(p.dir, "new-pass.txt")
			if err := os.WriteFile(newPassFile, []byte("new-pass\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			p.mustRun(t, "", oldPass, "init", "--owner", "alice")
			p.mustRun(t, "first-secret", oldPass, addArgs("first")...)

			type result struct {
				code           int
				stderr, secret string
			}
			const writers = 8
			results := make([]result, writers)
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					name := fmt.Sprintf("writer-%d", i)
					secret := fmt.Sprintf("secret-of-writer-%d", i)
					// Spread the writers before, during and after passwd.
					time.Sleep(time.Duration(i) * 4 * time.Millisecond)
					code, _, errOut := p.run(t, secret, oldPass, addArgs(name)...)
					results[i] = result{code, errOut, secret}
				})
			}
			passwdArgs := []string{"passwd", "--new-passphrase-file", newPassFile}
			if rotate {
				passwdArgs = append(passwdArgs, "--rotate")
			}
			p.mustRun(t, "", oldPass, passwdArgs...)
			wg.Wait()

			newPass := []string{"MYSAFE_PASSPHRASE=new-pass"}
			if code, _, _ := p.run(t, "", oldPass, "list"); code != 4 {
				t.Errorf("the old passphrase still opens the vault (exit %d)", code)
			}
			list := p.mustRun(t, "", newPass, "list", "--json")
			saved := 0
			for i, r := range results {
				name := fmt.Sprintf("writer-%d", i)
				if r.code == 0 {
					saved++
					if got := p.mustRun(t, "", newPass, "reveal", name, "--no-newline"); got != r.secret {
						t.Errorf("%s exited 0 but reveals %q", name, got)
					}
					continue
				}
				// Refused: a wrong (old) passphrase, keys rotated while it
				// waited, or the vault in use; never half done.
				if r.code != 4 && r.code != 5 {
					t.Errorf("%s: exit %d: %s", name, r.code, r.stderr)
				}
				oneLine(t, name, r.stderr)
				if strings.Contains(list, `"`+name+`"`) {
					t.Errorf("%s was refused (exit %d) but is in the vault", name, r.code)
				}
			}
			if got := p.mustRun(t, "", newPass, "reveal", "first", "--no-newline"); got != "first-secret" {
				t.Errorf("first reveals %q", got)
			}
			if out := p.mustRun(t, "", newPass, "check"); !strings.HasPrefix(out, "ok: ") {
				t.Errorf("check: %s", out)
			}
			t.Logf("%d of %d writers saved", saved, writers)
		})
	}
}

// TestPasswdKilledLeavesOldOrNew kills `passwd` (kill -9) at many moments:
// afterwards exactly one of the old and the new passphrase opens the
// vault, every record is there with its secret, and the vault checks out.
func TestPasswdKilledLeavesOldOrNew(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	p := newProcEnv(t)
	oldPass := []string{"MYSAFE_PASSPHRASE=old-pass"}
	newPass := []string{"MYSAFE_PASSPHRASE=new-pass"}
	newPassFile := filepath.Join(p.dir, "new-pass.txt")
	if err := os.WriteFile(newPassFile, []byte("new-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.mustRun(t, "", oldPass, "init", "--owner", "alice")
	for i := range 5 {
		p.mustRun(t, fmt.Sprintf("secret-%d", i), oldPass, addArgs(fmt.Sprintf("rec-%d", i))...)
	}
	pristine, err := os.ReadFile(p.vault)
	if err != nil {
		t.Fatal(err)
	}
	// How long a whole passwd takes here, so the kills spread over all of it.
	var full time.Duration
	for range 3 {
		if err := os.WriteFile(p.vault, pristine, 0o600); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(filepath.Join(p.dir, "state"))
		start := time.Now()
		p.mustRun(t, "", oldPass, "passwd", "--new-passphrase-file", newPassFile)
		full = max(full, time.Since(start))
	}
	const kills = 24
	outcome := map[string]int{}
	for i := range kills {
		if err := os.WriteFile(p.vault, pristine, 0o600); err != nil {
			t.Fatal(err)
		}
		// The state folder goes with the file: a fresh copy is not a
		// rollback of the last iteration.
		os.RemoveAll(filepath.Join(p.dir, "state"))
		cmd := p.cmd("", oldPass, "passwd", "--new-passphrase-file", newPassFile)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := full * time.Duration(i) / (kills - 4)
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		oldCode, _, _ := p.run(t, "", oldPass, "list")
		newCode, _, _ := p.run(t, "", newPass, "list")
		var works []string
		switch {
		case oldCode == 0 && newCode != 0:
			works = oldPass
			outcome["old"]++
		case newCode == 0 && oldCode != 0:
			works = newPass
			outcome["new"]++
		default:
			t.Fatalf("kill after %s: old passphrase exit %d, new exit %d", delay, oldCode, newCode)
		}
		export := p.mustRun(t, "", works, "export")
		for r := range 5 {
			if !strings.Contains(export, fmt.Sprintf(`"secret-%d"`, r)) {
				t.Fatalf("kill after %s: rec-%d is missing or lost its secret:\n%s", delay, r, export)
			}
		}
		if out := p.mustRun(t, "", works, "check"); !strings.HasPrefix(out, "ok: 5 API secrets") {
			t.Fatalf("kill after %s: check: %s", delay, out)
		}
	}
	t.Logf("a whole passwd took %s; left with the old passphrase / the new one: %v", full, outcome)
}
