package cli_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/agent"
	"github.com/mysafe/mysafe/internal/cli"
	"github.com/mysafe/mysafe/internal/cli/clitest"
	"github.com/mysafe/mysafe/internal/clipboard"
)

var update = flag.Bool("update", false, "rewrite golden output in testdata/script")

func TestMain(m *testing.M) {
	// Under -race every process sleeps a second on exit by default; the
	// suite starts hundreds of mysafe processes.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	// `reveal --copy` starts its clipboard clearer as this executable with
	// clipboard.HelperArg; in tests that executable is the test binary.
	// `unlock` starts its agent the same way.
	if len(os.Args) == 2 && (os.Args[1] == clipboard.HelperArg || os.Args[1] == agent.HelperArg) {
		os.Exit(clitest.Main())
	}
	// The process set-up of the real binary (cli.Main), for tests of what
	// Main does before any command runs.
	if os.Getenv("MYSAFE_TEST_REAL_MAIN") == "1" {
		os.Exit(cli.Main("test"))
	}
	// mysafe as a process of its own for Go tests that start several at
	// once (see passwd_process_test.go), waiting for the lock as the real
	// binary does (lock_timeout) rather than testscript's short wait.
	if os.Getenv(envTestCLI) == "1" {
		f := clitest.Factory()
		f.LockTimeout = 0
		os.Exit(cli.Run(os.Args[1:], f))
	}
	coverChildren()
	testscript.Main(m, map[string]func(){
		"mysafe": func() { os.Exit(clitest.Main()) },
	})
}

// coverChildren makes the mysafe processes that tests start from this test
// binary (outside testscript, which does the same for its own) write their
// coverage next to the parent's under `go test -cover`. Without it each
// child prints a warning about GOCOVERDIR into the stderr the tests compare.
func coverChildren() {
	if testing.CoverMode() == "" || os.Getenv("GOCOVERDIR") != "" {
		return
	}
	for i, a := range os.Args {
		dir, ok := strings.CutPrefix(a, "-test.gocoverdir=")
		if !ok && a == "-test.gocoverdir" && i+1 < len(os.Args) {
			dir, ok = os.Args[i+1], true
		}
		if ok && dir != "" {
			os.Setenv("GOCOVERDIR", dir)
			return
		}
	}
}

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: false,
		RequireUniqueNames:  true,
		Condition:           needTool,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			e.Setenv("HOME", home)
			e.Setenv("TZ", "UTC")
			e.Setenv("USER", "tester")
			e.Setenv("VAULT", filepath.Join(home, ".local", "share", "mysafe", "vault.db"))
			// A short runtime folder keeps agent socket paths under the
			// kernel's limit; every agent a script leaves is locked when it
			// ends, pass or fail.
			run, err := os.MkdirTemp("", "msrun")
			if err != nil {
				return err
			}
			e.Setenv("XDG_RUNTIME_DIR", run)
			e.Defer(func() {
				lockAgents(filepath.Join(run, "mysafe"))
				// Stories that unlock without XDG_RUNTIME_DIR point TMPDIR here.
				lockAgents(filepath.Join(run, "tmp", "mysafe-"+strconv.Itoa(os.Getuid())))
				os.RemoveAll(run)
			})
			for _, fx := range []struct{ env, path string }{
				// Sample exports of other tools, shared with the importer's tests.
				{"FIXTURES", "../importer/testdata"},
				// A vault in format 1, for the upgrade.
				{"FORMAT1", "../vault/testdata/format1"},
				// A share bundle and an export written by an earlier
				// mysafe, which must keep importing.
				{"BUNDLE2", "../share/testdata/bundle2"},
				{"EXPORT1", "../secret/testdata/export1.json"},
			} {
				abs, err := filepath.Abs(filepath.FromSlash(fx.path))
				if err != nil {
					return err
				}
				e.Setenv(fx.env, abs)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":        cmdExits,
			"holdlock":     cmdHoldLock,
			"filemode":     cmdFileMode,
			"truncatefile": cmdTruncate,
			"islink":       cmdIsLink,
			"rawvault":     cmdRawVault,
			"rawlog":       cmdRawLog,
			"killagent":    cmdKillAgent,
			"stopagent":    cmdStopAgent,
			"redact":       cmdRedact,
			"chown":        cmdChown,
			"nobody":       cmdNobody,
		},
	})
}

// chown UID PATH: give PATH to the user UID (only root can).
func cmdChown(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: chown UID PATH")
	}
	uid, err := strconv.Atoi(args[0])
	ts.Check(err)
	ts.Check(os.Lchown(ts.MkAbs(args[1]), uid, -1))
}

// nobodyUID is the user stories run as when file modes must hold: root
// may write any file whatever its mode.
const nobodyUID = 65534

// nobody CODE PROG [ARGS...]: run PROG as a user who is not root and
// require that exact exit status, for stories about files this user may
// only read. Run by root, PROG runs as user 65534 through setpriv
// (util-linux): the script's folder is given to that user and its
// ancestors made traversable, and mysafe runs from a copy of this test
// binary inside it (the original's folder is root's alone). Run by anyone
// else, PROG runs as it is. The condition [nobody] says whether this
// works here.
func cmdNobody(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: nobody CODE PROG [ARGS...]")
	}
	if os.Geteuid() != 0 {
		cmdExits(ts, false, args)
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		ts.Fatalf("setpriv (util-linux) is needed to run this as a user who is not root (guard the story with [!nobody] skip): %v", err)
	}
	work := ts.Getenv("WORK")
	dir := filepath.Join(work, ".nobody")
	bin := filepath.Join(dir, "mysafe")
	if _, err := os.Stat(bin); err != nil {
		ts.Check(os.MkdirAll(filepath.Join(dir, "cover"), 0o700))
		self, err := os.Executable()
		ts.Check(err)
		data, err := os.ReadFile(self)
		ts.Check(err)
		ts.Check(os.WriteFile(bin, data, 0o755))
		// The folders above the script's, made by the test harness for
		// root alone, become traversable (not readable) by others.
		for d := filepath.Dir(work); d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()+string(filepath.Separator)); d = filepath.Dir(d) {
			fi, err := os.Stat(d)
			ts.Check(err)
			if fi.Mode().Perm()&0o001 == 0 {
				ts.Check(os.Chmod(d, fi.Mode().Perm()|0o001))
			}
		}
	}
	// Everything the script made so far belongs to that user now.
	ts.Check(filepath.Walk(work, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobodyUID, nobodyUID)
	}))
	prog := args[1]
	if prog == "mysafe" {
		prog = bin
	}
	// Coverage of these runs goes to a folder that user may write.
	cmd := append([]string{strconv.Itoa(0), "setpriv", "--reuid=" + strconv.Itoa(nobodyUID), "--regid=" + strconv.Itoa(nobodyUID), "--clear-groups",
		"--", "env", "GOCOVERDIR=" + filepath.Join(dir, "cover"), prog}, args[2:]...)
	cmd[0], cmd[1] = args[0], setpriv
	cmdExits(ts, false, cmd)
}

// exits CODE PROG [ARGS...]: run PROG and require that exact exit status.
// stdout and stderr are kept for the following stdout/stderr checks.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// holdlock PATH: open the vault file for writing, as another mysafe process
// would, and keep it open until the script ends.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock PATH")
	}
	db, err := bolt.Open(ts.MkAbs(args[0]), 0o600, &bolt.Options{Timeout: time.Second})
	ts.Check(err)
	ts.Defer(func() { db.Close() })
}

// filemode MODE PATH: check a file's permission bits (octal).
func cmdFileMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filemode MODE PATH")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := uint64(fi.Mode().Perm())
	if (got == want) == neg {
		ts.Fatalf("%s has mode %o, want %s%o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// islink PATH: PATH is a symbolic link.
func cmdIsLink(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: islink PATH")
	}
	fi, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	if (fi.Mode()&os.ModeSymlink != 0) == neg {
		ts.Fatalf("%s: symbolic link is %v", args[0], !neg)
	}
}

// truncatefile PATH SIZE: cut a file short, as a full disk or a bad copy could.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncatefile PATH SIZE")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// rawvault swap PATH ID1 ID2 | save PATH ID FILE | restore PATH ID FILE:
// change the sealed records behind mysafe's back, as an attacker with write
// access to the file could. rawvault datakey PATH damages the wrapped key
// in the data key's age header (one letter of it), as a bad disk block
// could: the header still parses, but no identity opens it. rawvault
// spacerbuckets PATH FILE replaces every empty spacer value after an index
// leaf (a three-byte key) with a nested bucket holding FILE, a place to
// hide data that holds no value. rawvault hide PATH FILE keeps FILE where
// mysafe never reads: in a bucket of its own and under a key of the meta
// bucket that mysafe does not use.
func cmdRawVault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: rawvault swap|save|restore|datakey|spacerbuckets|hide|format PATH ...")
	}
	db, err := bolt.Open(ts.MkAbs(args[1]), 0o600, &bolt.Options{Timeout: time.Second})
	ts.Check(err)
	defer db.Close()
	if args[0] == "hide" {
		hidden, err := os.ReadFile(ts.MkAbs(args[2]))
		ts.Check(err)
		ts.Check(db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("stash"))
			if err != nil {
				return err
			}
			if err := b.Put([]byte("hidden"), hidden); err != nil {
				return err
			}
			return tx.Bucket([]byte("meta")).Put([]byte("stash"), hidden)
		}))
		return
	}
	if args[0] == "spacerbuckets" {
		hidden, err := os.ReadFile(ts.MkAbs(args[2]))
		ts.Check(err)
		ts.Check(db.Update(func(tx *bolt.Tx) error {
			index := tx.Bucket([]byte("index"))
			var spacers [][]byte
			index.ForEach(func(k, v []byte) error {
				if len(k) == 3 && v != nil && len(v) == 0 {
					spacers = append(spacers, bytes.Clone(k))
				}
				return nil
			})
			if len(spacers) == 0 {
				return errors.New("no spacers in the index")
			}
			for _, k := range spacers {
				if err := index.Delete(k); err != nil {
					return err
				}
				b, err := index.CreateBucket(k)
				if err != nil {
					return err
				}
				if err := b.Put([]byte("hidden"), hidden); err != nil {
					return err
				}
			}
			return nil
		}))
		return
	}
	if args[0] == "format" && len(args) == 3 {
		ts.Check(db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte(args[2])) }))
		return
	}
	if args[0] == "datakey" {
		ts.Check(db.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket([]byte("meta"))
			dk := bytes.Clone(meta.Get([]byte("data_key")))
			stanza := bytes.Index(dk, []byte("\n-> X25519 "))
			if stanza < 0 {
				return errors.New("no X25519 stanza in the data key")
			}
			body := stanza + 1 + bytes.IndexByte(dk[stanza+1:], '\n') + 1
			dk[body+5] = map[bool]byte{true: 'B', false: 'A'}[dk[body+5] == 'A']
			return meta.Put([]byte("data_key"), dk)
		}))
		return
	}
	key := func(id string) []byte {
		b := make([]byte, 8)
		_, err := fmt.Sscanf(id, "%x", &b)
		ts.Check(err)
		return b
	}
	ts.Check(db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("records"))
		switch args[0] {
		case "swap":
			k1, k2 := key(args[2]), key(args[3])
			v1, v2 := bytes.Clone(b.Get(k1)), bytes.Clone(b.Get(k2))
			if v1 == nil || v2 == nil {
				return fmt.Errorf("no such records")
			}
			b.Put(k1, v2)
			return b.Put(k2, v1)
		case "save":
			return os.WriteFile(ts.MkAbs(args[3]), b.Get(key(args[2])), 0o600)
		case "restore":
			v, err := os.ReadFile(ts.MkAbs(args[3]))
			if err != nil {
				return err
			}
			return b.Put(key(args[2]), v)
		}
		return fmt.Errorf("unknown rawvault action %q", args[0])
	}))
}

// rawlog edit|delete|swap|truncate PATH N [M]: change the audit log behind
// mysafe's back, as someone with write access to the file but no key could:
// flip a byte of entry N, delete it, swap it with entry M, or delete every
// entry from N on.
func cmdRawLog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: rawlog edit|delete|swap|truncate PATH N [M]")
	}
	db, err := bolt.Open(ts.MkAbs(args[1]), 0o600, &bolt.Options{Timeout: time.Second})
	ts.Check(err)
	defer db.Close()
	// Entries are kept in the index bucket under 0x30 and their number
	// (docs/security.md, "File format").
	key := func(s string) []byte {
		n, err := strconv.ParseUint(s, 10, 64)
		ts.Check(err)
		return binary.BigEndian.AppendUint64([]byte{0x30}, n)
	}
	ts.Check(db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("index"))
		if b == nil || b.Get(key(args[2])) == nil {
			return fmt.Errorf("no audit log entry %s", args[2])
		}
		switch args[0] {
		case "edit":
			v := bytes.Clone(b.Get(key(args[2])))
			v[len(v)/2] ^= 0x01
			return b.Put(key(args[2]), v)
		case "delete":
			return b.Delete(key(args[2]))
		case "swap":
			k1, k2 := key(args[2]), key(args[3])
			v1, v2 := bytes.Clone(b.Get(k1)), bytes.Clone(b.Get(k2))
			b.Put(k1, v2)
			return b.Put(k2, v1)
		case "truncate":
			c := b.Cursor()
			for k, _ := c.Seek(key(args[2])); k != nil && k[0] == 0x30; k, _ = c.Seek(key(args[2])) {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}
		return fmt.Errorf("unknown rawlog action %q", args[0])
	}))
}

// lockAgents locks every agent with a socket in dir.
func lockAgents(dir string) {
	socks, _ := filepath.Glob(filepath.Join(dir, "*.sock"))
	for _, s := range socks {
		agent.Client{Socket: s}.Lock()
	}
}

// killagent VAULT: kill the vault's agent with SIGKILL, as the out-of-memory
// killer would, leaving its socket behind, and wait until it is gone.
func cmdKillAgent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: killagent VAULT")
	}
	sock, err := agent.SocketPath(ts.Getenv, ts.MkAbs(args[0]))
	ts.Check(err)
	c := agent.Client{Socket: sock}
	st, err := c.Status()
	ts.Check(err)
	ts.Check(syscall.Kill(st.PID, syscall.SIGKILL))
	for range 500 {
		if _, err := c.Status(); errors.Is(err, agent.ErrNotRunning) {
			if _, err := os.Stat(sock); err != nil {
				ts.Fatalf("the killed agent left no socket: %v", err)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.Fatalf("agent %d still answers after SIGKILL", st.PID)
}

// stopagent VAULT: stop the vault's agent with SIGSTOP, as a debugger or a
// frozen container would, so that it listens but never answers. It is
// continued and killed when the script ends.
func cmdStopAgent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: stopagent VAULT")
	}
	sock, err := agent.SocketPath(ts.Getenv, ts.MkAbs(args[0]))
	ts.Check(err)
	st, err := agent.Client{Socket: sock}.Status()
	ts.Check(err)
	ts.Check(syscall.Kill(st.PID, syscall.SIGSTOP))
	ts.Defer(func() {
		syscall.Kill(st.PID, syscall.SIGKILL)
		syscall.Kill(st.PID, syscall.SIGCONT)
	})
}

// needTool is the script condition [need:PROGRAM]: PROGRAM is installed.
// In CI (CI=true) a missing tool is an error, so the script fails instead
// of skipping. [root] holds when the test runs as root, so it can give
// files to another user (safefile's unit tests cover a foreign owner for
// any user).
func needTool(cond string) (bool, error) {
	if cond == "root" {
		return os.Geteuid() == 0, nil
	}
	if cond == "nobody" {
		// The `nobody` command works: this user is not root, or root
		// can drop to another user with setpriv (required in CI).
		if os.Geteuid() != 0 {
			return true, nil
		}
		return needTool("need:setpriv")
	}
	prog, ok := strings.CutPrefix(cond, "need:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath(prog); err != nil {
		if os.Getenv("CI") == "true" {
			return false, fmt.Errorf("%s is required in CI: %v", prog, err)
		}
		return false, nil
	}
	return true, nil
}

// Record ids and age public keys are random; redact replaces them.
var (
	redactID  = regexp.MustCompile(`"id": "[0-9a-f]{16}"`)
	redactAge = regexp.MustCompile(`\bage1(pq1)?[0-9a-z]{58,}\b`)
)

// redact FILE: replace every record id and age public key in FILE with a
// placeholder, so that output holding them can be compared exactly.
func cmdRedact(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: redact FILE")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	b = redactID.ReplaceAll(b, []byte(`"id": "<id>"`))
	b = redactAge.ReplaceAll(b, []byte("<age key>"))
	ts.Check(os.WriteFile(path, b, 0o600))
}
