//go:build linux

// `mysafe reveal --copy` end to end: the mysafe binary (this test binary
// re-executed as "mysafe", see pty_test.go), a real X server (Xvfb), the real
// xclip, and the real detached helper that clears the clipboard, which is
// this test binary again, started with clipboard.HelperArg.
//
// Nothing here asserts how long anything takes. Waits poll for an event with
// a generous deadline that only guards against a hung test; the one wait
// that cannot be for an event ("the helper did nothing") waits for the
// helper process to end instead.

package cli_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/clipboard"
	"github.com/mysafe/mysafe/internal/clipboard/xvfbtest"
)

// xDeadline bounds every wait on the X server, xclip and the helper.
const xDeadline = 20 * time.Second

// xDesk is one test's sandbox with a private X server.
type xDesk struct {
	*sandbox
	display    string
	runtimeDir string // XDG_RUNTIME_DIR: where mysafe keeps the clipboard's state
}

// newXDesk makes a sandbox and starts an X server for it alone. The server
// and any clear helper left running on its display are stopped when the
// test ends.
func newXDesk(t *testing.T) *xDesk {
	t.Helper()
	d := &xDesk{sandbox: newSandbox(t), runtimeDir: t.TempDir()}
	d.display = xvfbtest.Start(t)
	// Registered after the server's cleanup, so it runs before it: helpers
	// go first, while their display still exists.
	t.Cleanup(func() { d.killHelpers() })
	return d
}

// env is the sandbox's environment with this desk's display and no Wayland.
func (d *xDesk) env(extra ...string) []string {
	return d.sandbox.env(append([]string{"DISPLAY=" + d.display, "XDG_RUNTIME_DIR=" + d.runtimeDir}, extra...)...)
}

// runIn runs mysafe without a terminal, with stdin as its input.
func (d *xDesk) runIn(env []string, stdin string, args ...string) result {
	d.t.Helper()
	cmd := d.command(env, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A clipboard tool or the helper holding mysafe's stdout or stderr
	// would keep Wait blocked; fail instead of hanging.
	cmd.WaitDelay = xDeadline
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		d.t.Fatalf("mysafe %s: a process it left behind kept its output open", strings.Join(args, " "))
	}
	return result{code: exitCode(d.t, err), stdout: stdout.String(), stderr: stderr.String()}
}

// mustIn is runIn requiring success.
func (d *xDesk) mustIn(env []string, stdin string, args ...string) result {
	d.t.Helper()
	r := d.runIn(env, stdin, args...)
	if r.code != 0 {
		d.t.Fatalf("mysafe %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// clipboard reads the CLIPBOARD selection with xclip, as a user pasting
// would. An ownerless clipboard reads as "".
func (d *xDesk) clipboard() string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), xDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xclip", "-o", "-selection", "clipboard")
	cmd.Env = []string{"DISPLAY=" + d.display, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if ctx.Err() != nil {
		d.t.Fatalf("xclip -o did not answer within %v", xDeadline)
	}
	if err != nil {
		return ""
	}
	return string(out)
}

// setClipboard puts text on the clipboard the way another program does.
func (d *xDesk) setClipboard(text string) {
	d.t.Helper()
	cmd := exec.Command("xclip", "-i", "-selection", "clipboard")
	cmd.Env = []string{"DISPLAY=" + d.display, "PATH=" + os.Getenv("PATH")}
	cmd.Stdin = strings.NewReader(text)
	// No output pipes: the process xclip leaves behind to serve the
	// selection would hold them open.
	if err := cmd.Run(); err != nil {
		d.t.Fatalf("xclip -i: %v", err)
	}
	d.waitClipboard(func(got string) bool { return got == text }, fmt.Sprintf("to hold %q", text))
}

// waitClipboard polls the clipboard until ok accepts what it holds.
func (d *xDesk) waitClipboard(ok func(string) bool, what string) {
	d.t.Helper()
	deadline := time.Now().Add(xDeadline)
	for {
		got := d.clipboard()
		if ok(got) {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waited %v for the clipboard %s; it holds %q", xDeadline, what, got)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

// helperProc is a running clear helper.
type helperProc struct {
	pid     int
	cmdline string
	environ string
}

// helpers lists the clear helpers running for this desk's display: the
// processes whose arguments are exactly [program, clipboard.HelperArg] and
// whose environment names this display and runtime directory. Exited
// helpers nobody has reaped yet (zombies) have no arguments and are not
// listed.
func (d *xDesk) helpers() []helperProc {
	d.t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		d.t.Fatal(err)
	}
	var found []helperProc
	for _, e := range dirs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // gone, or not ours to read
		}
		args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
		if len(args) != 2 || args[1] != clipboard.HelperArg {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		vars := strings.Split(string(environ), "\x00")
		if !contains(vars, "DISPLAY="+d.display) || !contains(vars, "XDG_RUNTIME_DIR="+d.runtimeDir) {
			continue
		}
		found = append(found, helperProc{pid: pid, cmdline: string(cmdline), environ: string(environ)})
	}
	return found
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// waitHelpersDone waits until no clear helper runs for this display.
func (d *xDesk) waitHelpersDone() {
	d.t.Helper()
	deadline := time.Now().Add(xDeadline)
	for {
		hs := d.helpers()
		if len(hs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("clear helper %d still running after %v", hs[0].pid, xDeadline)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

// killHelpers ends the helpers a failed test left running, one by one, by
// pid, and waits for them to go.
func (d *xDesk) killHelpers() {
	for _, h := range d.helpers() {
		syscall.Kill(h.pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(xDeadline)
	for len(d.helpers()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// requireHelper returns the clear helpers running for this display and
// fails the test if there are none although the clear time, clearAfter
// after copiedAt, has not come: then a helper must be running, and a test
// that waits for it to end must not pass for want of one.
func (d *xDesk) requireHelper(copiedAt time.Time, clearAfter time.Duration) []helperProc {
	d.t.Helper()
	hs := d.helpers()
	if len(hs) == 0 && time.Since(copiedAt) < clearAfter {
		d.t.Fatal("no clear helper is running for this display")
	}
	return hs
}

// lastUsed returns the record's last_used_at from `show --json`, or nil.
func (d *xDesk) lastUsed(env []string, ref string) *time.Time {
	d.t.Helper()
	var rec struct {
		LastUsedAt *time.Time `json:"last_used_at"`
	}
	out := d.mustIn(env, "", "show", ref, "--json").stdout
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		d.t.Fatalf("show --json: %v\n%s", err, out)
	}
	return rec.LastUsedAt
}

const (
	x11Secret   = "sk_live_x11-Zq7Tp"
	x11ClientID = "pay-app-x11"
)

// addPayments creates the vault and an API secret "payments" whose client
// secret comes from stdin.
func (d *xDesk) addPayments(env []string) {
	d.t.Helper()
	d.mustIn(env, "", "init", "--owner", "alice")
	d.mustIn(env, x11Secret+"\n", "add", "api-secret", "--name", "payments", "--url", "https://pay.example",
		"--client-id", x11ClientID, "--identifier", "payments-prod", "--client-secret-stdin")
}

// copied runs `reveal --copy --verbose` and checks that nothing went to
// stdout, stderr is the one line wantMsg (said at a terminal, or with
// --verbose), and the clipboard then holds want.
func (d *xDesk) copied(env []string, wantMsg, want string, args ...string) {
	d.t.Helper()
	r := d.mustIn(env, "", append([]string{"--verbose", "reveal"}, args...)...)
	if r.stdout != "" {
		d.t.Errorf("reveal %s printed %q on stdout", strings.Join(args, " "), r.stdout)
	}
	if r.stderr != wantMsg+"\n" {
		d.t.Errorf("reveal %s: stderr = %q, want %q", strings.Join(args, " "), r.stderr, wantMsg+"\n")
	}
	d.waitClipboard(func(got string) bool { return got == want }, fmt.Sprintf("to hold %q", want))
}

func TestClipboardX11(t *testing.T) {
	t.Run("the copy is cleared", func(t *testing.T) {
		d := newXDesk(t)
		env := d.env("MYSAFE_PASSPHRASE=" + testPassphrase)
		d.addPayments(env)
		if got := d.lastUsed(env, "payments-prod"); got != nil {
			t.Fatalf("last_used_at = %v before any use", got)
		}

		copiedAt := time.Now()
		d.copied(env, "Client secret of payments copied; clears in 2s", x11Secret,
			"payments-prod", "--copy", "--clear-after", "2s")
		// The helper learns neither the secret nor the passphrase: they are
		// in none of its arguments or environment variables.
		for _, h := range d.requireHelper(copiedAt, 2*time.Second) {
			for _, s := range []string{x11Secret, testPassphrase, "MYSAFE_"} {
				if strings.Contains(h.cmdline+h.environ, s) {
					t.Errorf("clear helper %d has %q in its arguments or environment", h.pid, s)
				}
			}
		}
		if d.lastUsed(env, "payments-prod") == nil {
			t.Error("last_used_at is null after reveal --copy")
		}

		d.waitClipboard(func(got string) bool { return got != x11Secret }, "to be cleared")
		if got := d.clipboard(); got != "" {
			t.Errorf("clipboard holds %q after the clear, want it empty", got)
		}
		d.waitHelpersDone()
	})

	// reveal --copy records a copy entry, and the entry's time is the Last
	// use; a vault whose log was changed copies nothing.
	t.Run("the copy is logged", func(t *testing.T) {
		d := newXDesk(t)
		env := d.env("MYSAFE_PASSPHRASE=" + testPassphrase)
		d.addPayments(env)
		d.copied(env, "Client secret of payments copied; it will not be cleared", x11Secret,
			"payments-prod", "--copy", "--clear-after", "0")
		var entries []struct {
			Seq      uint64    `json:"seq"`
			Time     time.Time `json:"time"`
			Action   string    `json:"action"`
			RecordID string    `json:"record_id"`
			Name     string    `json:"name"`
			User     string    `json:"user"`
			Detail   string    `json:"detail"`
		}
		out := d.mustIn(env, "", "log", "payments-prod", "--json").stdout
		if err := json.Unmarshal([]byte(out), &entries); err != nil {
			t.Fatalf("log --json: %v\n%s", err, out)
		}
		var copies int
		for _, e := range entries {
			switch e.Action {
			case "copy":
				copies++
				if e.Name != "payments" || e.User != "tester" || strings.Contains(out, x11Secret) {
					t.Errorf("copy entry %+v", e)
				}
				// show prints whole seconds.
				if last := d.lastUsed(env, "payments-prod"); last == nil || !last.Equal(e.Time.Truncate(time.Second)) {
					t.Errorf("last_used_at = %v, want the copy entry's time %v", last, e.Time)
				}
			case "reveal":
				t.Errorf("reveal --copy logged a reveal: %+v", e)
			}
		}
		if copies != 1 {
			t.Fatalf("%d copy entries, want 1:\n%s", copies, out)
		}
		if r := d.mustIn(env, "", "check"); !strings.HasPrefix(r.stdout, "ok: ") {
			t.Errorf("check: %s", r.stdout)
		}

		// Someone who can write the file changes the copy entry: the next
		// copy is refused before it touches the clipboard.
		d.setClipboard("the user's own text")
		vault := filepath.Join(d.home, ".local", "share", "mysafe", "vault.db")
		db, err := bolt.Open(vault, 0o600, &bolt.Options{Timeout: xDeadline})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			// The log's entries are in the index, under 0x30 and their number.
			b := tx.Bucket([]byte("index"))
			k := binary.BigEndian.AppendUint64([]byte{0x30}, entries[len(entries)-1].Seq)
			v := bytes.Clone(b.Get(k))
			v[len(v)/2] ^= 1
			return b.Put(k, v)
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := d.runIn(env, "", "reveal", "payments-prod", "--copy", "--clear-after", "0")
		if r.code != 4 || r.stdout != "" || !strings.HasPrefix(r.stderr, "mysafe: ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("a copy from a changed log: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if got := d.clipboard(); got != "the user's own text" {
			t.Errorf("the clipboard holds %q after a refused copy", got)
		}
	})

	t.Run("content copied since is left alone", func(t *testing.T) {
		d := newXDesk(t)
		env := d.env("MYSAFE_PASSPHRASE=" + testPassphrase)
		d.addPayments(env)
		copiedAt := time.Now()
		d.copied(env, "Client secret of payments copied; clears in 2s", x11Secret,
			"payments-prod", "--copy", "--clear-after", "2s")
		d.requireHelper(copiedAt, 2*time.Second)
		const mine = "the user's own notes"
		d.setClipboard(mine)
		// Nothing to poll for: the helper leaves this content alone. Wait
		// for it to have looked and gone.
		d.waitHelpersDone()
		if got := d.clipboard(); got != mine {
			t.Errorf("clipboard holds %q after the helper ended, want %q", got, mine)
		}
	})

	t.Run("--field client-id, never cleared", func(t *testing.T) {
		d := newXDesk(t)
		env := d.env("MYSAFE_PASSPHRASE=" + testPassphrase)
		d.addPayments(env)
		d.copied(env, "Client ID of payments copied; it will not be cleared", x11ClientID,
			"payments-prod", "--copy", "--field", "client-id", "--clear-after", "0")
		if hs := d.helpers(); len(hs) != 0 {
			t.Errorf("--clear-after 0 started clear helper %d", hs[0].pid)
		}
		if got := d.clipboard(); got != x11ClientID {
			t.Errorf("clipboard holds %q, want %q", got, x11ClientID)
		}
	})

	t.Run("clipboard.clear_after in the config file", func(t *testing.T) {
		d := newXDesk(t)
		env := d.env("MYSAFE_PASSPHRASE=" + testPassphrase)
		d.addPayments(env)
		dir := filepath.Join(d.home, ".config", "mysafe")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("clipboard:\n  clear_after: 1s\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// The flag wins over the file.
		d.copied(env, "Client secret of payments copied; it will not be cleared", x11Secret,
			"payments-prod", "--copy", "--clear-after", "0")
		d.copied(env, "Client secret of payments copied; clears in 1s", x11Secret,
			"payments-prod", "--copy")
		d.waitClipboard(func(got string) bool { return got != x11Secret }, "to be cleared")
		if got := d.clipboard(); got != "" {
			t.Errorf("clipboard holds %q after the clear, want it empty", got)
		}
		d.waitHelpersDone()
	})
}

// TestClipboardUnavailable needs no X server: without a clipboard to use,
// reveal --copy fails before it unlocks the vault, prints nothing on stdout
// and says in one line what to do instead.
func TestClipboardUnavailable(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	unlocked := s.env("MYSAFE_PASSPHRASE=" + testPassphrase)
	s.must(unlocked, "add", "api-secret", "--name", "payments", "--url", "https://pay.example", "--client-id", x11ClientID)
	noTools := t.TempDir() // a PATH with no clipboard tool on it

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string // each must appear in the message
	}{
		{
			name: "no display and no terminal",
			env:  s.env(),
			args: []string{"--copy"},
			want: []string{"mysafe: no clipboard available: ", "DISPLAY and WAYLAND_DISPLAY are unset", "no terminal for OSC 52", "plain `mysafe reveal`"},
		},
		{
			name: "a display but no clipboard tool",
			env:  append(s.env("DISPLAY=:99"), "PATH="+noTools),
			args: []string{"--copy"},
			want: []string{"mysafe: no clipboard available: ", "install xclip or xsel", "--osc52", "plain `mysafe reveal`"},
		},
		{
			name: "--osc52 without a terminal",
			env:  s.env("DISPLAY=:99"),
			args: []string{"--copy", "--osc52"},
			want: []string{"mysafe: no clipboard available: ", "OSC 52 needs a terminal", "plain `mysafe reveal`"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No unlock source is set: the clipboard is checked first, so
			// nobody is asked for a passphrase for nothing.
			r := s.run(tc.env, append([]string{"reveal", "payments", "--field", "client-id"}, tc.args...)...)
			if r.code != 3 {
				t.Errorf("exit %d, want 3; stderr %q", r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.stderr, w)
				}
			}
		})
	}

	// Nothing was revealed, so no use is recorded.
	var rec struct {
		LastUsedAt *time.Time `json:"last_used_at"`
	}
	if err := json.Unmarshal([]byte(s.must(unlocked, "show", "payments", "--json").stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.LastUsedAt != nil {
		t.Errorf("last_used_at = %v after copies that failed", rec.LastUsedAt)
	}
}
