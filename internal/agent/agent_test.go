package agent

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testIdentity = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"

// shortDir returns a private folder with a path short enough for a socket.
func shortDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "ag")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	dir := filepath.Join(d, "mysafe")
	return dir
}

// startServer runs an agent in this process that serves callers with uid.
func startServer(t *testing.T, uid int, timeout time.Duration) (Client, <-chan error) {
	t.Helper()
	sock := filepath.Join(shortDir(t), "a.sock")
	ln, release, err := listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	st := &state{identity: testIdentity, vault: "/v.db", timeout: timeout}
	st.touch()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- serve(ctx, ln, st, uid)
		release()
		close(finished)
	}()
	t.Cleanup(func() { cancel(); <-finished })
	return Client{Socket: sock}, done
}

func TestServesItsOwnUser(t *testing.T) {
	c, _ := startServer(t, os.Getuid(), time.Minute)
	id, err := c.Identity()
	if err != nil || id != testIdentity {
		t.Fatalf("Identity() = %q, %v", id, err)
	}
	st, err := c.Status()
	if err != nil || st.IdleTimeout != time.Minute || st.PID != os.Getpid() || st.Vault != "/v.db" {
		t.Fatalf("Status() = %+v, %v", st, err)
	}
	if left := time.Until(st.ExpiresAt); left <= 0 || left > time.Minute {
		t.Fatalf("expires in %s", left)
	}
}

// The peer-credential check: an agent that serves another uid than the
// caller's gives the caller nothing. (A second real user is not available
// to every test run; the check compares the kernel's SO_PEERCRED uid.)
func TestRefusesOtherUID(t *testing.T) {
	c, _ := startServer(t, os.Getuid()+1, time.Minute)
	if id, err := c.Identity(); !errors.Is(err, ErrNotRunning) || id != "" {
		t.Fatalf("Identity() from another uid = %q, %v; want nothing", id, err)
	}
	if _, err := c.Status(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Status() from another uid: %v", err)
	}
	if _, err := c.Unlock("/v.db", "AGE-SECRET-KEY-1OTHER", time.Minute); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Unlock() from another uid: %v", err)
	}
}

func TestPeerUIDIsTheKernels(t *testing.T) {
	dir := shortDir(t)
	os.Mkdir(dir, 0o700)
	sock := filepath.Join(dir, "p.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("unix", sock)
		if err == nil {
			defer c.Close()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	c, err := ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := peerUID(c); got != os.Getuid() {
		t.Fatalf("peerUID = %d, want %d", got, os.Getuid())
	}
}

func TestLockEndsTheAgent(t *testing.T) {
	c, done := startServer(t, os.Getuid(), time.Minute)
	if was, err := c.Lock(); !was || err != nil {
		t.Fatalf("Lock() = %v, %v", was, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the agent still runs after lock")
	}
	if _, err := os.Stat(c.Socket); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after lock: %v", err)
	}
	if _, err := c.Identity(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Identity() after lock: %v", err)
	}
	if was, err := c.Lock(); was || err != nil {
		t.Fatalf("second Lock() = %v, %v", was, err)
	}
}

func TestExpires(t *testing.T) {
	c, done := startServer(t, os.Getuid(), 50*time.Millisecond)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not expire")
	}
	if _, err := c.Identity(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Identity() after expiry: %v", err)
	}
}

func TestUnlockReplacesIdentityAndTimeout(t *testing.T) {
	c, _ := startServer(t, os.Getuid(), time.Minute)
	other := strings.Replace(testIdentity, "QQQQ", "PPPP", 1)
	st, err := c.Unlock("/w.db", other, time.Hour)
	if err != nil || st.IdleTimeout != time.Hour || st.Vault != "/w.db" {
		t.Fatalf("Unlock() = %+v, %v", st, err)
	}
	if id, _ := c.Identity(); id != other {
		t.Fatalf("identity not replaced")
	}
	if _, err := c.Unlock("/w.db", other, 0); err == nil {
		t.Fatal("Unlock with a zero timeout succeeded")
	}
}

func TestOneAgentPerSocket(t *testing.T) {
	c, _ := startServer(t, os.Getuid(), time.Minute)
	if _, _, err := listen(c.Socket); !errors.Is(err, errRunning) {
		t.Fatalf("second listen: %v, want errRunning", err)
	}
	if _, err := c.Identity(); err != nil {
		t.Fatalf("the first agent stopped answering: %v", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	dir := shortDir(t)
	os.Mkdir(dir, 0o700)
	sock := filepath.Join(dir, "s.sock")
	// A socket nobody listens on, as a killed agent leaves.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := (Client{Socket: sock}).Status(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Status() on a stale socket: %v", err)
	}
	ln2, release, err := listen(sock)
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	ln2.Close()
	release()
}

func TestRefusesFolderOthersCanEnter(t *testing.T) {
	dir := shortDir(t)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	if _, _, err := listen(filepath.Join(dir, "x.sock")); !errors.Is(err, ErrUnsafeDir) {
		t.Fatalf("listen in a 0755 folder: %v, want ErrUnsafeDir", err)
	}
	link := dir + "-link"
	real := shortDir(t)
	os.Mkdir(real, 0o700)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(link)
	if _, _, err := listen(filepath.Join(link, "x.sock")); !errors.Is(err, ErrUnsafeDir) {
		t.Fatalf("listen in a linked folder: %v, want ErrUnsafeDir", err)
	}
}

func TestSocketIsPrivate(t *testing.T) {
	c, _ := startServer(t, os.Getuid(), time.Minute)
	fi, err := os.Stat(c.Socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %o, want 600", fi.Mode().Perm())
	}
}

func TestSocketPath(t *testing.T) {
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.db")
	os.WriteFile(vault, []byte("x"), 0o600)
	link := filepath.Join(dir, "link.db")
	os.Symlink(vault, link)
	env := func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return "/run/user/1000"
		}
		return ""
	}
	a, err := SocketPath(env, vault)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SocketPath(env, link)
	if a != b || !strings.HasPrefix(a, "/run/user/1000/mysafe/agent-") {
		t.Fatalf("SocketPath: %q and %q", a, b)
	}
	other, _ := SocketPath(env, filepath.Join(dir, "other.db"))
	if other == a {
		t.Fatal("two vaults share an agent")
	}
	noXDG := func(string) string { return "" }
	c, _ := SocketPath(noXDG, vault)
	if !strings.HasPrefix(c, filepath.Join("/tmp", "mysafe-")) {
		t.Fatalf("fallback folder: %q", c)
	}
	long := func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return "/" + strings.Repeat("x", 100)
		}
		return ""
	}
	if _, err := SocketPath(long, vault); err == nil {
		t.Fatal("a socket path over the kernel's limit was accepted")
	}
}
