package agent

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// privateDir700 returns a new folder with mode 700, whatever the umask the
// in-process agents of other tests left.
func privateDir700(t *testing.T) string {
	t.Helper()
	dir := shortDir(t)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hungAgent listens on a socket as the agent would but never answers, as an
// agent stopped with SIGSTOP or stuck does.
func hungAgent(t *testing.T) string {
	t.Helper()
	dir := privateDir700(t)
	sock := filepath.Join(dir, "h.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	return sock
}

// A client talking to an agent that does not answer gives up, and does not
// report a vault that is still unlocked as locked: `mysafe lock` must not
// say "was not unlocked" while the agent may still hold the key.
func TestHungAgentIsNotReportedLocked(t *testing.T) {
	c := Client{Socket: hungAgent(t), Timeout: 200 * time.Millisecond}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if was, err := c.Lock(); !errors.Is(err, ErrNoAnswer) {
			t.Errorf("Lock() on a hung agent = %v, %v; want ErrNoAnswer", was, err)
		}
		if _, err := c.Status(); !errors.Is(err, ErrNoAnswer) {
			t.Errorf("Status() on a hung agent: %v; want ErrNoAnswer", err)
		}
		if _, err := c.Identity(); !errors.Is(err, ErrNoAnswer) {
			t.Errorf("Identity() on a hung agent: %v; want ErrNoAnswer", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the client hangs on an agent that does not answer")
	}
}

// converse sends raw bytes to the agent and returns its one-line answer.
func converse(t *testing.T, sock string, raw []byte) string {
	t.Helper()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	go conn.Write(raw)
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return line
}

// Garbage, oversized and unknown requests get an error answer, never the
// identity, and the agent keeps serving its user.
func TestMalformedRequests(t *testing.T) {
	c, _ := startServer(t, os.Getuid(), time.Minute)
	for name, raw := range map[string][]byte{
		"not json":        []byte("hello\n"),
		"huge, no eol":    []byte(strings.Repeat("A", 1<<20)),
		"huge json":       []byte(`{"op":"identity","vault":"` + strings.Repeat("x", 1<<20) + `"}` + "\n"),
		"unknown op":      []byte(`{"op":"start","identity":"AGE-SECRET-KEY-1X","timeout_ms":1}` + "\n"),
		"null":            []byte("null\n"),
		"two requests":    []byte(`{"op":"status"}` + "\n" + `{"op":"identity"}` + "\n"),
		"unlock no key":   []byte(`{"op":"unlock","timeout_ms":60000}` + "\n"),
		"unlock overflow": []byte(`{"op":"unlock","identity":"x","timeout_ms":9223372036854775807}` + "\n"),
	} {
		answer := converse(t, c.Socket, raw)
		if strings.Contains(answer, testIdentity) {
			t.Errorf("%s: the answer holds the identity: %.200s", name, answer)
		}
	}
	if id, err := c.Identity(); err != nil || id != testIdentity {
		t.Fatalf("after malformed requests: Identity() = %q, %v", id, err)
	}
}

// Many connections that send nothing do not keep the agent from serving.
func TestSilentConnectionsDoNotStarveTheAgent(t *testing.T) {
	c, _ := startServer(t, os.Getuid(), time.Minute)
	var conns []net.Conn
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	for range 200 {
		cn, err := net.Dial("unix", c.Socket)
		if err != nil {
			break // the backlog is full: enough
		}
		conns = append(conns, cn)
	}
	if id, err := c.Identity(); err != nil || id != testIdentity {
		t.Fatalf("with %d silent connections: Identity() = %q, %v", len(conns), id, err)
	}
}

// A runtime folder others can write to (XDG_RUNTIME_DIR pointed at a shared
// folder) lets them rename the agent's private folder away and put their
// own in its place between the agent's check and its use: the agent
// refuses it, as it refuses a folder others can enter.
func TestRefusesParentOthersCanWrite(t *testing.T) {
	parent := filepath.Dir(privateDir700(t))
	if err := os.Chmod(parent, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, _, err := listen(filepath.Join(parent, "mysafe", "x.sock")); !errors.Is(err, ErrUnsafeDir) {
		t.Fatalf("listen under a 0777 folder: %v, want ErrUnsafeDir", err)
	}
	// Like /tmp: open to all, but sticky, so nobody renames another's folder.
	if err := os.Chmod(parent, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	ln, release, err := listen(filepath.Join(parent, "mysafe", "x.sock"))
	if err != nil {
		t.Fatalf("listen under a sticky 1777 folder: %v", err)
	}
	ln.Close()
	release()
}

// A runtime folder that belongs to another user is theirs to rearrange.
func TestRefusesParentOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("only root can give a folder to another user")
	}
	parent := filepath.Dir(shortDir(t))
	if err := os.Chown(parent, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, _, err := listen(filepath.Join(parent, "mysafe", "x.sock")); !errors.Is(err, ErrUnsafeDir) {
		t.Fatalf("listen under another user's folder: %v, want ErrUnsafeDir", err)
	}
}

// Every folder an unlock in another environment may have used is one lock
// looks in, the current one first, each once.
func TestSocketPathsCoverOtherEnvironments(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	env := func(k string) string {
		return map[string]string{"XDG_RUNTIME_DIR": "/xdg", "TMPDIR": "/tt"}[k]
	}
	paths, err := SocketPaths(env, "/v.db")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := SocketPath(env, "/v.db")
	var dirs []string
	for _, p := range paths {
		dirs = append(dirs, filepath.Dir(p))
	}
	want := []string{"/xdg/mysafe", "/run/user/" + uid + "/mysafe", "/tt/mysafe-" + uid, "/tmp/mysafe-" + uid}
	if paths[0] != first || strings.Join(dirs, " ") != strings.Join(want, " ") {
		t.Fatalf("SocketPaths = %q, want folders %q", paths, want)
	}
	none, _ := SocketPaths(func(string) string { return "" }, "/v.db")
	if len(none) != 2 {
		t.Fatalf("without XDG_RUNTIME_DIR and TMPDIR: %q", none)
	}
}
