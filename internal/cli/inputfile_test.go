package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
)

// runNoWait runs cmd with stdin a pipe whose writer stays open (reading it
// would wait forever) and returns its exit code and stderr. A process still
// running after ptyDeadline fails the test: that is the hang being tested.
func runNoWait(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd.Stdin = r
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	guard := time.AfterFunc(ptyDeadline, func() { cmd.Process.Kill() })
	err = cmd.Wait()
	r.Close()
	if !guard.Stop() {
		t.Fatalf("mysafe still waiting after %v", ptyDeadline)
	}
	t.Logf("answered in %v", time.Since(start))
	return exitCode(t, err), stderr.String()
}

// A file named by a flag that never begins or never ends (a FIFO with no
// writer, a device) is refused at once with exit 2, like the unlock
// sources; nothing is written. "-" still reads stdin where it is offered.
func TestInputFilesThatNeverEnd(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	fifo := filepath.Join(s.dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	kdbx, err := filepath.Abs(filepath.Join("..", "importer", "testdata", "payments.kdbx"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	card := strings.TrimSpace(s.must(s.env("MYSAFE_PASSPHRASE="+testPassphrase), "key").stdout)
	add := []string{"add", "api-secret", "--name", "fifo", "--url", "https://api.example", "--client-id", "app"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"client secret FIFO", append(add, "--client-secret-file", fifo), "client secret file: " + fifo + " is not a regular file (a FIFO or pipe) (hint: give a regular file, or - to read the secret from stdin)"},
		{"client secret /dev/zero", append(add, "--client-secret-file", "/dev/zero"), "client secret file: /dev/zero is not a regular file (a device)"},
		{"contact card FIFO", []string{"contact", "add", "bob", "-F", fifo}, "card or key file: " + fifo + " is not a regular file (a FIFO or pipe)"},
		{"new passphrase FIFO", []string{"passwd", "--new-passphrase-file", fifo}, "new passphrase file: " + fifo + " is not a regular file (a FIFO or pipe)"},
		{"KeePass password FIFO", []string{"import", "--kdbx-password-file", fifo, kdbx}, "password file: " + fifo + " is not a regular file (a FIFO or pipe)"},
		{"KeePass key file FIFO", []string{"import", "--kdbx-key-file", fifo, kdbx}, "--kdbx-key-file: " + fifo + " is not a regular file (a FIFO or pipe)"},
		{"age identity FIFO", []string{"import", "--age-identity", fifo, kdbx}, "--age-identity: " + fifo + " is not a regular file (a FIFO or pipe)"},
		{"bundle FIFO", []string{"reveal", "--bundle", fifo, "--signer", card, "x"}, "--bundle: " + fifo + " is not a regular file (a FIFO or pipe)"},
		{"env file /dev/zero", []string{"exec", "--env-file", "/dev/zero", "--", "true"}, "--env-file: /dev/zero is not a regular file (a device)"},
		{"template FIFO", []string{"inject", "--input", fifo}, "--input: " + fifo + " is not a regular file (a FIFO or pipe)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := s.env("MYSAFE_PASSPHRASE=" + testPassphrase)
			if tc.args[0] == "reveal" {
				// A CI job reading a bundle holds its own identity.
				env = s.env("MYSAFE_IDENTITY=" + ci.String())
			}
			code, stderr := runNoWait(t, s.command(env, tc.args...))
			if code != 2 {
				t.Errorf("exit code %d, want 2; stderr: %s", code, stderr)
			}
			if !strings.HasPrefix(stderr, "mysafe: "+tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want one line starting %q", stderr, "mysafe: "+tc.want)
			}
		})
	}
	if got := s.run(s.env("MYSAFE_PASSPHRASE="+testPassphrase), "list", "--json"); got.code != 0 || strings.TrimSpace(got.stdout) != "[]" {
		t.Errorf("the vault changed: %+v", got)
	}

	// "-" is stdin, which may be a pipe: that is what it is for.
	cmd := s.command(s.env("MYSAFE_PASSPHRASE="+testPassphrase), append(add, "--client-secret-file", "-")...)
	cmd.Stdin = strings.NewReader("from-a-pipe\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("--client-secret-file - from a pipe: %v\n%s", err, out)
	}
	if got := s.must(s.env("MYSAFE_PASSPHRASE="+testPassphrase), "reveal", "fifo"); strings.TrimSuffix(got.stdout, "\n") != "from-a-pipe" {
		t.Errorf("reveal = %q", got.stdout)
	}
}
