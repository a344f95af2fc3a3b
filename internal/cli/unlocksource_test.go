package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// An unlock source that never ends or never begins (a device, a FIFO with
// no writer, a pipe nobody writes to) is refused at once instead of hanging
// or eating memory. The deadline only guards against a hung test.
func TestUnlockSourcesThatNeverEnd(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	fifo := filepath.Join(s.dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	cfg := filepath.Join(s.dir, "stdin.yaml")
	if err := os.WriteFile(cfg, []byte("identity_file: /dev/stdin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"identity file /dev/zero", []string{"MYSAFE_IDENTITY_FILE=/dev/zero"}, nil, "identity file: /dev/zero is not a regular file (a device)"},
		{"identity file FIFO without writer", []string{"MYSAFE_IDENTITY_FILE=" + fifo}, nil, "identity file: " + fifo + " is not a regular file (a FIFO or pipe)"},
		{"passphrase file FIFO without writer", []string{"MYSAFE_PASSPHRASE_FILE=" + fifo}, nil, "passphrase file: " + fifo + " is not a regular file (a FIFO or pipe)"},
		{"passphrase file /dev/zero", []string{"MYSAFE_PASSPHRASE_FILE=/dev/zero"}, nil, "passphrase file: /dev/zero is not a regular file (a device)"},
		{"identity_file /dev/stdin on an idle pipe", nil, []string{"--config", cfg}, "identity file: /dev/stdin is not a regular file (a FIFO or pipe)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := runNoWait(t, s.command(s.env(tc.env...), append(tc.args, "list")...))
			if code != 4 {
				t.Errorf("exit code %d, want 4; stderr: %s", code, stderr)
			}
			if !strings.HasPrefix(stderr, "mysafe: "+tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want one line starting %q", stderr, "mysafe: "+tc.want)
			}
		})
	}
}
