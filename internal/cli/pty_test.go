//go:build linux

// Tests that drive the mysafe binary from Go, for what the testscript
// stories cannot do: type at a real pseudo-terminal one answer at a time,
// after checking that echo is off, and name records by their random ids.
//
// The binary is this test binary re-executed with argv[0] "mysafe", which
// TestMain hands to cli.Run with the test work factor.

package cli_test

import (
	"bytes"
	"encoding/json"
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

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// ptyDeadline bounds every wait on the child; it is a guard against a hung
// test, not a timing assertion.
const ptyDeadline = 10 * time.Second

const testPassphrase = "correct-horse-battery"

// sandbox is a home directory for one test and the environment mysafe runs in.
type sandbox struct {
	t    *testing.T
	dir  string
	home string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return &sandbox{t: t, dir: dir, home: home}
}

func (s *sandbox) vaultPath() string {
	return filepath.Join(s.home, ".local", "share", "mysafe", "vault.db")
}

// env returns a clean environment: no MYSAFE_* variable leaks in from the
// developer's shell. extra adds NAME=value pairs.
func (s *sandbox) env(extra ...string) []string {
	return append([]string{
		"HOME=" + s.home,
		"PATH=" + os.Getenv("PATH"),
		"TZ=UTC",
		"USER=tester",
		"TERM=dumb",
		// Under -race, a process that started goroutines sleeps a second at
		// exit unless told otherwise.
		"GORACE=atexit_sleep_ms=0",
		// Under -cover, where the children write their coverage.
		"GOCOVERDIR=" + os.Getenv("GOCOVERDIR"),
	}, extra...)
}

func (s *sandbox) command(env []string, args ...string) *exec.Cmd {
	s.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		s.t.Fatal(err)
	}
	return &exec.Cmd{Path: exe, Args: append([]string{"mysafe"}, args...), Env: env, Dir: s.dir}
}

// result is what a finished mysafe process left behind.
type result struct {
	code           int
	stdout, stderr string
}

// run runs mysafe without a terminal: stdin is empty.
func (s *sandbox) run(env []string, args ...string) result {
	s.t.Helper()
	cmd := s.command(env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return result{code: exitCode(s.t, cmd.Run()), stdout: stdout.String(), stderr: stderr.String()}
}

// must runs mysafe and requires success.
func (s *sandbox) must(env []string, args ...string) result {
	s.t.Helper()
	r := s.run(env, args...)
	if r.code != 0 {
		s.t.Fatalf("mysafe %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return ee.ExitCode()
}

// initVault creates the sandbox's vault without a terminal.
func (s *sandbox) initVault() {
	s.t.Helper()
	s.must(s.env("MYSAFE_PASSPHRASE="+testPassphrase), "init", "--owner", "alice")
}

// terminal is the controlling side of a pseudo-terminal, with everything the
// child has written to it so far.
type terminal struct {
	t      *testing.T
	master *os.File
	slave  *os.File // kept open to read the line discipline's settings

	mu     sync.Mutex
	out    bytes.Buffer
	wake   chan struct{} // a token after every read
	closed chan struct{} // closed when the reader stops
}

// openTerminal opens a pseudo-terminal pair with /dev/ptmx: TIOCGPTN names
// the slave, TIOCSPTLCK unlocks it.
func openTerminal(t *testing.T) *terminal {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var n uint32
	ctlErr := control(master, func(fd int) error {
		var err error
		if n, err = unix.IoctlGetUint32(fd, unix.TIOCGPTN); err != nil {
			return fmt.Errorf("TIOCGPTN: %w", err)
		}
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return fmt.Errorf("TIOCSPTLCK: %w", err)
		}
		return nil
	})
	if ctlErr != nil {
		master.Close()
		t.Fatal(ctlErr)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	term := &terminal{t: t, master: master, slave: slave, wake: make(chan struct{}, 1), closed: make(chan struct{})}
	go term.read()
	t.Cleanup(func() {
		term.slave.Close()
		term.master.Close()
		<-term.closed
	})
	return term
}

// control runs fn on f's descriptor without putting f into blocking mode,
// so a pending Read still ends when f is closed.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var fnErr error
	if err := rc.Control(func(fd uintptr) { fnErr = fn(int(fd)) }); err != nil {
		return err
	}
	return fnErr
}

func (term *terminal) read() {
	defer close(term.closed)
	buf := make([]byte, 4096)
	for {
		n, err := term.master.Read(buf)
		if n > 0 {
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			select {
			case term.wake <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return // EIO once the child and our slave copy are closed
		}
	}
}

// output returns everything written to the terminal so far.
func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// expect waits until the terminal output, from offset from on, contains s,
// and returns the offset just past it.
func (term *terminal) expect(from int, s string) int {
	term.t.Helper()
	timeout := time.NewTimer(ptyDeadline)
	defer timeout.Stop()
	for {
		out := term.output()
		if i := strings.Index(out[from:], s); i >= 0 {
			return from + i + len(s)
		}
		select {
		case <-term.wake:
		case <-term.closed:
			if out := term.output(); !strings.Contains(out[from:], s) {
				term.t.Fatalf("terminal closed before %q appeared; output:\n%s", s, out)
			}
		case <-timeout.C:
			term.t.Fatalf("timed out waiting for %q; output:\n%s", s, term.output())
		}
	}
}

// echo reports whether the line discipline echoes typed characters.
func (term *terminal) echo() bool {
	term.t.Helper()
	tio, err := unix.IoctlGetTermios(int(term.slave.Fd()), unix.TCGETS)
	if err != nil {
		term.t.Fatalf("TCGETS: %v", err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// waitNoEcho polls the terminal settings until echo is off: the prompt is
// written before echo is turned off, so seeing the prompt is not enough.
func (term *terminal) waitNoEcho() {
	term.t.Helper()
	deadline := time.Now().Add(ptyDeadline)
	for term.echo() {
		if time.Now().After(deadline) {
			term.t.Fatalf("echo never turned off; output:\n%s", term.output())
		}
		time.Sleep(time.Millisecond) // poll interval, not a wait for an event
	}
}

// typeLine types s and Enter.
func (term *terminal) typeLine(s string) {
	term.t.Helper()
	if _, err := term.master.Write([]byte(s + "\n")); err != nil {
		term.t.Fatal(err)
	}
}

// session is one mysafe process whose stdin and controlling terminal is term.
type session struct {
	t              *testing.T
	term           *terminal
	stdout, stderr bytes.Buffer
	done           chan int
	pid            int
}

func (s *sandbox) startAtTerminal(term *terminal, env []string, args ...string) *session {
	s.t.Helper()
	cmd := s.command(env, args...)
	ss := &session{t: s.t, term: term, done: make(chan int, 1)}
	cmd.Stdin = term.slave
	cmd.Stdout, cmd.Stderr = &ss.stdout, &ss.stderr
	// A new session with the terminal (the child's stdin, fd 0) as its
	// controlling terminal, so /dev/tty opens it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	ss.pid = cmd.Process.Pid
	go func() {
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		ss.done <- code
	}()
	s.t.Cleanup(func() {
		select {
		case <-ss.done:
		default:
			cmd.Process.Kill()
			<-ss.done
		}
	})
	return ss
}

// wait waits for the process to end and returns its exit code.
func (ss *session) wait() int {
	ss.t.Helper()
	select {
	case code := <-ss.done:
		ss.done <- code
		return code
	case <-time.After(ptyDeadline):
		ss.t.Fatalf("mysafe did not finish; terminal output:\n%s\nstderr: %s", ss.term.output(), ss.stderr.String())
	}
	return -1
}

// assertAbsent fails if secret shows up on the terminal or in the streams.
func (ss *session) assertAbsent(secrets ...string) {
	ss.t.Helper()
	for _, s := range secrets {
		for where, text := range map[string]string{"terminal": ss.term.output(), "stdout": ss.stdout.String(), "stderr": ss.stderr.String()} {
			if strings.Contains(text, s) {
				ss.t.Errorf("%q appears on the %s:\n%s", s, where, text)
			}
		}
	}
}

func TestTerminalInit(t *testing.T) {
	t.Run("passphrases that differ are refused", func(t *testing.T) {
		s := newSandbox(t)
		term := openTerminal(t)
		ss := s.startAtTerminal(term, s.env(), "init", "--owner", "alice")
		at := term.expect(0, "New passphrase: ")
		term.waitNoEcho()
		term.typeLine(testPassphrase)
		term.expect(at, "Repeat passphrase: ")
		term.waitNoEcho()
		term.typeLine("correct-horse-batterz")
		if code := ss.wait(); code != 2 {
			t.Errorf("exit code %d, want 2; stderr: %s", code, ss.stderr.String())
		}
		if !strings.Contains(ss.stderr.String(), "mysafe: the passphrases do not match") {
			t.Errorf("stderr = %q", ss.stderr.String())
		}
		if _, err := os.Stat(s.vaultPath()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a vault was created: %v", err)
		}
		ss.assertAbsent(testPassphrase, "correct-horse-batterz")
	})

	t.Run("the passphrase is asked twice without echo", func(t *testing.T) {
		s := newSandbox(t)
		term := openTerminal(t)
		ss := s.startAtTerminal(term, s.env(), "init", "--owner", "alice")
		at := term.expect(0, "New passphrase: ")
		term.waitNoEcho()
		term.typeLine(testPassphrase)
		term.expect(at, "Repeat passphrase: ")
		term.waitNoEcho()
		term.typeLine(testPassphrase)
		if code := ss.wait(); code != 0 {
			t.Fatalf("exit code %d; stderr: %s", code, ss.stderr.String())
		}
		if !strings.HasPrefix(ss.stdout.String(), "mysafe-card-1 age1") {
			t.Errorf("stdout = %q, want the contact card", ss.stdout.String())
		}
		if !term.echo() {
			t.Error("echo was left off")
		}
		ss.assertAbsent(testPassphrase)
		// Only the prompts reach the terminal; the key goes to stdout.
		if strings.Contains(term.output(), "age1") {
			t.Errorf("the public key went to the terminal:\n%s", term.output())
		}
		s.must(s.env("MYSAFE_PASSPHRASE="+testPassphrase), "list")
	})
}

func TestTerminalAdd(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	term := openTerminal(t)
	const clientSecret = "s3cr3t-weather"
	ss := s.startAtTerminal(term, s.env(), "add", "api-secret", "--identifier", "weather")

	// The vault is unlocked first, so a mistyped passphrase costs no field:
	// it is asked again.
	prompt := "Passphrase for " + s.vaultPath() + ": "
	at := term.expect(0, prompt)
	term.waitNoEcho()
	term.typeLine("wrong-horse")
	at = term.expect(at, prompt)
	term.waitNoEcho()
	term.typeLine(testPassphrase)

	// Plain fields are asked with echo, so the user sees what they type.
	at = term.expect(at, "Name: ")
	term.typeLine("weather")
	at = term.expect(at, "weather")
	at = term.expect(at, "URL: ")
	if !term.echo() {
		t.Error("echo is off for the URL")
	}
	term.typeLine("https://weather.example")
	at = term.expect(at, "https://weather.example")
	at = term.expect(at, "Client ID: ")
	term.typeLine("wx-app")
	at = term.expect(at, "wx-app")

	// The client secret and the passphrase are not echoed.
	at = term.expect(at, "Client secret (input hidden, empty for none): ")
	term.waitNoEcho()
	term.typeLine(clientSecret)

	if code := ss.wait(); code != 0 {
		t.Fatalf("exit code %d; stderr: %s", code, ss.stderr.String())
	}
	// stdout and stderr are pipes here: a piped stdout holds only data, and
	// add prints none.
	if got := ss.stdout.String(); got != "" {
		t.Errorf("stdout = %q, want nothing", got)
	}
	ss.assertAbsent(clientSecret, testPassphrase, "wrong-horse")
	if !term.echo() {
		t.Error("echo was left off")
	}
	if n := strings.Count(term.output(), prompt); n != 2 {
		t.Errorf("the passphrase was asked %d times, want 2 (once wrong):\n%s", n, term.output())
	}

	env := s.env("MYSAFE_PASSPHRASE=" + testPassphrase)
	if got := s.must(env, "reveal", "weather").stdout; got != clientSecret+"\n" {
		t.Errorf("reveal = %q, want %q", got, clientSecret+"\n")
	}
	if got := s.must(env, "reveal", "weather", "--field", "client-id").stdout; got != "wx-app\n" {
		t.Errorf("client ID = %q", got)
	}
}

func TestTerminalRmConfirm(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	env := s.env("MYSAFE_PASSPHRASE=" + testPassphrase)
	s.must(env, "add", "api-secret", "--name", "payments", "--url", "https://pay.example", "--client-id", "pay-app")

	for _, tc := range []struct {
		answer string
		code   int
		kept   bool
	}{
		{"n", 2, true},
		{"", 2, true},
		{"yes please", 2, true},
		{"y", 0, false},
	} {
		term := openTerminal(t)
		ss := s.startAtTerminal(term, env, "rm", "payments")
		term.expect(0, "Remove payments (id ")
		term.expect(0, ")? [y/N] ")
		term.typeLine(tc.answer)
		if code := ss.wait(); code != tc.code {
			t.Errorf("answer %q: exit code %d, want %d; stderr: %s", tc.answer, code, tc.code, ss.stderr.String())
		}
		kept := s.run(env, "show", "payments").code == 0
		if kept != tc.kept {
			t.Fatalf("answer %q: record kept = %v, want %v", tc.answer, kept, tc.kept)
		}
		if kept && !strings.Contains(ss.stderr.String(), "mysafe: not removed") {
			t.Errorf("answer %q: stderr = %q", tc.answer, ss.stderr.String())
		}
	}
}

// TestIdentityValueUnlocks checks MYSAFE_IDENTITY with the key itself, which
// a script cannot put into a variable.
func TestIdentityValueUnlocks(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	secretFile := filepath.Join(s.dir, "secret.txt")
	if err := os.WriteFile(secretFile, []byte("s3cr3t-id\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := s.env("MYSAFE_PASSPHRASE=" + testPassphrase)
	s.must(env, "add", "api-secret", "--name", "payments", "--url", "https://pay.example", "--client-id", "pay-app", "--client-secret-file", secretFile)
	id := strings.TrimSpace(s.must(env, "identity", "export").stdout)
	if !strings.HasPrefix(id, "AGE-SECRET-KEY-1") {
		t.Fatalf("identity export = %q", id)
	}

	r := s.must(s.env("MYSAFE_IDENTITY="+id), "reveal", "payments")
	if r.stdout != "s3cr3t-id\n" {
		t.Errorf("reveal = %q", r.stdout)
	}
	// Surrounding blanks, as a CI secret store may add, are fine.
	s.must(s.env("MYSAFE_IDENTITY= "+id+"\n"), "list")
	// The identity is tried first: another vault's identity is not rescued
	// by the right passphrase.
	other := filepath.Join(s.dir, "other.db")
	s.must(env, "init", "--vault", other)
	otherID := strings.TrimSpace(s.must(env, "identity", "export", "--vault", other).stdout)
	r = s.run(s.env("MYSAFE_IDENTITY="+otherID, "MYSAFE_PASSPHRASE="+testPassphrase), "list")
	if r.code != 4 || !strings.Contains(r.stderr, "the identity does not open this vault (hint: check MYSAFE_IDENTITY)") {
		t.Errorf("wrong identity: exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, otherID) {
		t.Error("the identity was printed")
	}
}

// listed is a record as `list --json` shows it, reduced to what tests need.
type listed struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ClientID string `json:"client_id"`
}

func (s *sandbox) list(env []string) []listed {
	s.t.Helper()
	var recs []listed
	if err := json.Unmarshal([]byte(s.must(env, "list", "--json").stdout), &recs); err != nil {
		s.t.Fatal(err)
	}
	return recs
}

// listIDs returns the ids of the vault's records by name.
func (s *sandbox) listIDs(env []string) map[string]string {
	s.t.Helper()
	ids := map[string]string{}
	for _, r := range s.list(env) {
		ids[r.Name] = r.ID
	}
	return ids
}

func TestRefByID(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	env := s.env("MYSAFE_PASSPHRASE=" + testPassphrase)
	s.must(env, "add", "api-secret", "--name", "payments", "--url", "https://pay.example", "--client-id", "pay-app", "--identifier", "pay")
	s.must(env, "add", "api-secret", "--name", "payments", "--url", "https://pay2.example", "--client-id", "pay2-app")
	var second string
	for _, r := range s.list(env) {
		got := s.must(env, "reveal", r.ID, "--field", "client-id").stdout
		if got != r.ClientID+"\n" {
			t.Errorf("reveal %s = %q, want %q", r.ID, got, r.ClientID)
		}
		if r.ClientID == "pay2-app" {
			second = r.ID
		}
	}
	if second == "" {
		t.Fatal("the second record is not listed")
	}

	// The name is ambiguous; the id is not, for every command.
	if r := s.run(env, "show", "payments"); r.code != 5 || !strings.Contains(r.stderr, second+" (payments)") {
		t.Errorf("show by name: exit %d, stderr %q", r.code, r.stderr)
	}
	s.must(env, "show", second)
	s.must(env, "edit", second, "--notes", "the second one")
	s.must(env, "tag", second, "eu")
	if got := s.must(env, "reveal", second, "--field", "notes").stdout; got != "the second one\n" {
		t.Errorf("notes = %q", got)
	}

	// A record whose name is another record's id makes that id ambiguous.
	s.must(env, "add", "api-secret", "--name", second, "--url", "https://odd.example", "--client-id", "odd")
	if r := s.run(env, "show", second); r.code != 5 {
		t.Errorf("id that is also a name: exit %d, want 5; stderr %q", r.code, r.stderr)
	}

	s.must(env, "rm", "pay", "--yes")
	if r := s.run(env, "show", "pay"); r.code != 3 {
		t.Errorf("removed record: exit %d, want 3", r.code)
	}
}

// rawRecords changes the vault file behind mysafe's back, as someone with
// write access to it could.
func rawRecords(t *testing.T, path string, fn func(b *bolt.Bucket, key func(id string) []byte) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		return fn(tx.Bucket([]byte("records")), func(id string) []byte {
			var b []byte
			if _, err := fmt.Sscanf(id, "%x", &b); err != nil {
				t.Fatalf("id %q: %v", id, err)
			}
			return b
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTampering(t *testing.T) {
	setup := func(t *testing.T) (*sandbox, []string, map[string]string) {
		s := newSandbox(t)
		s.initVault()
		env := s.env("MYSAFE_PASSPHRASE=" + testPassphrase)
		for _, name := range []string{"payments", "ledger"} {
			file := filepath.Join(s.dir, name+".txt")
			if err := os.WriteFile(file, []byte("s3cr3t-"+name), 0o600); err != nil {
				t.Fatal(err)
			}
			s.must(env, "add", "api-secret", "--name", name, "--url", "https://"+name+".example", "--client-id", name+"-app", "--client-secret-file", file)
		}
		return s, env, s.listIDs(env)
	}
	// Every command that reads records refuses a tampered vault with exit
	// 4, shows no secret, and writes nothing.
	refused := func(t *testing.T, s *sandbox, env []string, commands ...[]string) {
		t.Helper()
		before, err := os.ReadFile(s.vaultPath())
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range commands {
			r := s.run(env, args...)
			if r.code != 4 {
				t.Errorf("mysafe %s: exit %d, want 4; stderr %q", strings.Join(args, " "), r.code, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "mysafe: vault file was modified outside mysafe or is damaged: ") {
				t.Errorf("mysafe %s: stderr %q", strings.Join(args, " "), r.stderr)
			}
			if strings.Contains(r.stdout, "s3cr3t") {
				t.Errorf("mysafe %s printed a secret from a tampered vault: %q", strings.Join(args, " "), r.stdout)
			}
		}
		after, err := os.ReadFile(s.vaultPath())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Error("a refused command changed the vault file")
		}
	}
	// Commands that read the changed records refuse. A command that reads
	// other records only (an add, an import) is not slowed down by checking
	// every record; `mysafe check` is the command that checks them all.
	every := func(name string) [][]string {
		return [][]string{
			{"list"},
			{"show", name},
			{"export"},
			{"tags"},
			{"rm", name, "--yes"},
		}
	}
	checkFails := func(t *testing.T, s *sandbox, env []string) {
		t.Helper()
		r := s.run(env, "check")
		if r.code != 4 || !strings.Contains(r.stdout+r.stderr, "behind mysafe's back") && !strings.Contains(r.stdout+r.stderr, "in its place") && !strings.Contains(r.stdout+r.stderr, "replaced") {
			t.Errorf("check: exit %d, want 4 naming the problem; stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	}

	t.Run("two records swapped", func(t *testing.T) {
		s, env, ids := setup(t)
		rawRecords(t, s.vaultPath(), func(b *bolt.Bucket, key func(string) []byte) error {
			k1, k2 := key(ids["payments"]), key(ids["ledger"])
			v1, v2 := bytes.Clone(b.Get(k1)), bytes.Clone(b.Get(k2))
			if err := b.Put(k1, v2); err != nil {
				return err
			}
			return b.Put(k2, v1)
		})
		refused(t, s, env, append(every("ledger"), []string{"reveal", "payments"}, []string{"edit", "payments", "--notes", "x"})...)
		checkFails(t, s, env)
	})

	t.Run("an old version put back", func(t *testing.T) {
		s, env, ids := setup(t)
		var old []byte
		rawRecords(t, s.vaultPath(), func(b *bolt.Bucket, key func(string) []byte) error {
			old = bytes.Clone(b.Get(key(ids["payments"])))
			return nil
		})
		s.must(env, "edit", "payments", "--url", "https://moved.example")
		rawRecords(t, s.vaultPath(), func(b *bolt.Bucket, key func(string) []byte) error {
			return b.Put(key(ids["payments"]), old)
		})
		refused(t, s, env, append(every("payments"), []string{"reveal", "payments"}, []string{"edit", "payments", "--notes", "x"})...)
		checkFails(t, s, env)
	})

	t.Run("a record deleted", func(t *testing.T) {
		s, env, ids := setup(t)
		rawRecords(t, s.vaultPath(), func(b *bolt.Bucket, key func(string) []byte) error {
			return b.Delete(key(ids["ledger"]))
		})
		refused(t, s, env, every("ledger")...)
		checkFails(t, s, env)
	})

	// A damaged record is found when it is decrypted: by every command
	// that reads it.
	t.Run("a record damaged", func(t *testing.T) {
		s, env, ids := setup(t)
		rawRecords(t, s.vaultPath(), func(b *bolt.Bucket, key func(string) []byte) error {
			v := bytes.Clone(b.Get(key(ids["ledger"])))
			v[len(v)-1] ^= 1
			return b.Put(key(ids["ledger"]), v)
		})
		refused(t, s, env, []string{"list"}, []string{"show", "ledger"}, []string{"reveal", "ledger"},
			[]string{"export", "--format", "csv"}, []string{"rm", "ledger", "--yes"}, []string{"tags"})
		checkFails(t, s, env)
	})
}

func TestTerminalPassphraseTries(t *testing.T) {
	t.Run("a wrong passphrase is asked again", func(t *testing.T) {
		s := newSandbox(t)
		s.initVault()
		term := openTerminal(t)
		ss := s.startAtTerminal(term, s.env(), "list")
		prompt := "Passphrase for " + s.vaultPath() + ": "
		at := term.expect(0, prompt)
		term.waitNoEcho()
		term.typeLine("wrong-horse")
		at = term.expect(at, prompt)
		term.waitNoEcho()
		term.typeLine(testPassphrase)
		if code := ss.wait(); code != 0 {
			t.Fatalf("exit code %d; stderr: %s", code, ss.stderr.String())
		}
		if !strings.Contains(ss.stderr.String(), "mysafe: wrong passphrase, try again (2 of 3)") {
			t.Errorf("stderr = %q", ss.stderr.String())
		}
		ss.assertAbsent("wrong-horse", testPassphrase)
	})
	t.Run("three wrong passphrases end the command", func(t *testing.T) {
		s := newSandbox(t)
		s.initVault()
		term := openTerminal(t)
		ss := s.startAtTerminal(term, s.env(), "list")
		prompt := "Passphrase for " + s.vaultPath() + ": "
		at := 0
		for i := range 3 {
			at = term.expect(at, prompt)
			term.waitNoEcho()
			term.typeLine(fmt.Sprintf("wrong-%d", i))
		}
		if code := ss.wait(); code != 4 {
			t.Fatalf("exit code %d, want 4; stderr: %s", code, ss.stderr.String())
		}
		if !strings.HasSuffix(ss.stderr.String(), "mysafe: vault is locked: wrong passphrase (hint: check the passphrase)\n") {
			t.Errorf("stderr = %q", ss.stderr.String())
		}
		if strings.Count(term.output(), prompt) != 3 {
			t.Errorf("asked %d times, want 3:\n%s", strings.Count(term.output(), prompt), term.output())
		}
	})
}

// reveal prints the exact value into a pipe, but at a terminal a value that
// carries escape sequences (a note from someone else's bundle) is shown
// escaped, so it cannot clear the screen or write the clipboard.
func TestRevealAtTerminalEscapes(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	env := s.env("MYSAFE_PASSPHRASE=" + testPassphrase)
	hostile := "\x1b[2J\x1b]52;c;aGk=\x07\u202eevil"
	data := `[{"name":"n","url":"https://x.example","client_id":"c","identifier":"n","notes":"` +
		strings.ReplaceAll(strings.ReplaceAll(hostile, "\x1b", `\u001b`), "\x07", `\u0007`) + `"}]`
	if err := os.WriteFile(filepath.Join(s.dir, "in.json"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	s.must(env, "import", "--format", "json", "in.json")
	if got := s.must(env, "reveal", "n", "--field", "notes").stdout; got != hostile+"\n" {
		t.Fatalf("piped reveal = %q, want the exact value", got)
	}

	term := openTerminal(t)
	cmd := s.command(env, "reveal", "n", "--field", "notes")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = term.slave, term.slave, term.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	term.expect(0, `\x1b[2J\x1b]52;c;aGk=\x07\u202eevil`)
	if out := term.output(); strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Fatalf("terminal received raw control characters: %q", out)
	}
}

// TestTerminalKDBXPassword imports a KeePass database whose password is
// asked on the terminal without echo, and never printed.
func TestTerminalKDBXPassword(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	term := openTerminal(t)
	kdbx, err := filepath.Abs(filepath.Join("..", "importer", "testdata", "payments.kdbx"))
	if err != nil {
		t.Fatal(err)
	}
	const kdbxPassword = "kdbx-test-pass"
	ss := s.startAtTerminal(term, s.env("MYSAFE_PASSPHRASE="+testPassphrase), "import", "--url", "kp.example", "--client-id", "kp", kdbx)
	term.expect(0, "Password for "+kdbx+": ")
	term.waitNoEcho()
	term.typeLine(kdbxPassword)
	if code := ss.wait(); code != 0 {
		t.Fatalf("exit code %d; stderr: %s", code, ss.stderr.String())
	}
	if got := ss.stdout.String(); got != "" {
		t.Errorf("stdout = %q, want nothing", got)
	}
	ss.assertAbsent(kdbxPassword)
	if !term.echo() {
		t.Error("echo was left off")
	}
}

// A hidden prompt turns echo off before it is printed, so nothing typed
// ahead shows, and erases its line once answered.
func TestTerminalHiddenPromptEchoAndErase(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	term := openTerminal(t)
	ss := s.startAtTerminal(term, s.env(), "list")
	prompt := "Passphrase for " + s.vaultPath() + ": "
	at := term.expect(0, prompt)
	if term.echo() {
		t.Error("echo was still on when the prompt appeared")
	}
	term.typeLine(testPassphrase)
	term.expect(at, "\r\x1b[K")
	if code := ss.wait(); code != 0 {
		t.Fatalf("exit code %d; stderr: %s", code, ss.stderr.String())
	}
	if !term.echo() {
		t.Error("echo was left off")
	}
	ss.assertAbsent(testPassphrase)
}

// MYSAFE_NO_INPUT=1 forbids prompts at a terminal too: the command fails at
// once instead of asking.
func TestTerminalNoInput(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	term := openTerminal(t)
	ss := s.startAtTerminal(term, s.env("MYSAFE_NO_INPUT=1"), "list")
	if code := ss.wait(); code != 4 {
		t.Fatalf("exit code %d, want 4; stderr: %s", code, ss.stderr.String())
	}
	if strings.Contains(term.output(), "Passphrase") {
		t.Errorf("asked at the terminal:\n%s", term.output())
	}
	if !strings.Contains(ss.stderr.String(), "no other unlock source is set") {
		t.Errorf("stderr = %q", ss.stderr.String())
	}
}

// Unlocked once at a terminal, the vault is not asked for again, at the
// terminal or without one, until it is locked.
func TestTerminalUnlockOnce(t *testing.T) {
	s := newSandbox(t)
	s.initVault()
	run, err := os.MkdirTemp("", "msrun")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	env := s.env("XDG_RUNTIME_DIR=" + run)
	t.Cleanup(func() { s.run(env, "lock") })

	term := openTerminal(t)
	ss := s.startAtTerminal(term, env, "unlock", "--timeout", "5m")
	term.expect(0, "Passphrase for "+s.vaultPath()+": ")
	term.waitNoEcho()
	term.typeLine(testPassphrase)
	if code := ss.wait(); code != 0 {
		t.Fatalf("unlock: exit code %d; stderr: %s", code, ss.stderr.String())
	}
	ss.assertAbsent(testPassphrase)

	term2 := openTerminal(t)
	ss2 := s.startAtTerminal(term2, env, "list")
	if code := ss2.wait(); code != 0 {
		t.Fatalf("list: exit code %d; stderr: %s", code, ss2.stderr.String())
	}
	if strings.Contains(term2.output(), "Passphrase") {
		t.Errorf("asked again after unlock:\n%s", term2.output())
	}
	s.must(env, "list")
	s.must(env, "lock")
	if r := s.run(env, "list"); r.code != 4 {
		t.Errorf("list after lock: exit %d, want 4", r.code)
	}
}

// Ctrl-C at a hidden prompt: echo comes back on, the prompt line is erased,
// mysafe exits with 130 and one line on stderr, and nothing is written. The
// handler is cli.MainWith's, which the test binary runs as the mysafe
// binary does.
func TestTerminalInterrupt(t *testing.T) {
	s := newSandbox(t)
	term := openTerminal(t)
	ss := s.startAtTerminal(term, s.env(), "init", "--owner", "alice")
	at := term.expect(0, "New passphrase: ")
	if term.echo() {
		t.Fatal("echo was on at the prompt")
	}
	if _, err := term.master.Write([]byte("half-typed\x03")); err != nil {
		t.Fatal(err)
	}
	if code := ss.wait(); code != 130 {
		t.Fatalf("exit code %d, want 130; stderr: %s", code, ss.stderr.String())
	}
	term.expect(at, "\r\x1b[K")
	if !term.echo() {
		t.Error("echo was left off after Ctrl-C")
	}
	if got := ss.stderr.String(); got != "mysafe: interrupted\n" {
		t.Errorf("stderr = %q, want one line", got)
	}
	if _, err := os.Stat(s.vaultPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an interrupted init left a vault: %v", err)
	}
	ss.assertAbsent("half-typed")
}
