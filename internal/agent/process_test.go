package agent

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary run as the agent, as mysafe does when it is
// started with HelperArg.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == HelperArg {
		if err := Run(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// unprivilegedUID is the user the agent process runs as in these tests: this
// user, or when the tests run as root an unprivileged uid, because a root
// process's /proc files belong to root whether it is dumpable or not.
const unprivilegedUID = 54321

// startHelper starts this test binary as an agent that has not yet been
// given its start request, running as an unprivileged user when the tests
// run as root. It returns the process, the pipe to its stdin, its stdout
// and the socket it should take.
func startHelper(t *testing.T) (*exec.Cmd, io.WriteCloser, *bufio.Reader, string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	uid := os.Getuid()
	dir := privateDir700(t)
	cmd := exec.Command(exe, HelperArg)
	cmd.Dir = "/"
	if uid == 0 {
		// The unprivileged agent must be able to run the binary and own
		// its folder.
		uid = unprivilegedUID
		bin := filepath.Join(filepath.Dir(dir), "agent.test")
		data, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		// The in-process agents of other tests leave a umask of 177.
		if err := os.Chmod(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Dir(dir), 0o755)
		if err := os.Chown(dir, uid, uid); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(bin, HelperArg)
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, in, bufio.NewReader(out), filepath.Join(dir, "p.sock"), uid
}

// procOwner returns the owner of /proc/PID/environ: the process's user
// while it is dumpable, root once it is not.
func procOwner(t *testing.T, pid int) int {
	t.Helper()
	fi, err := os.Stat(filepath.Join("/proc", itoa(pid), "environ"))
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

func itoa(n int) string { return strconv.Itoa(n) }

// The agent is undumpable and has no core limit before it reads the
// identity from its stdin: a process of the same user that attached with
// ptrace while it was still dumpable would stay attached and read the key
// once it arrived.
func TestAgentIsHardenedBeforeItReadsTheKey(t *testing.T) {
	cmd, in, out, sock, uid := startHelper(t)
	pid := cmd.Process.Pid
	deadline := time.Now().Add(20 * time.Second)
	for procOwner(t, pid) == uid {
		if time.Now().After(deadline) {
			t.Fatal("the agent waits for its key while still dumpable")
		}
		time.Sleep(10 * time.Millisecond)
	}
	limits, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "limits"))
	if err != nil {
		t.Fatal(err)
	}
	var core string
	for _, line := range strings.Split(string(limits), "\n") {
		if strings.HasPrefix(line, "Max core file size") {
			core = strings.Join(strings.Fields(line), " ")
		}
	}
	if core != "Max core file size 0 0 bytes" {
		t.Fatalf("core limit: %q", core)
	}

	// Given its key, it listens, and stays undumpable.
	if err := writeRequest(in, request{Op: opStart, Socket: sock, Vault: "/v.db", Identity: testIdentity, TimeoutMS: 60000}); err != nil {
		t.Fatal(err)
	}
	in.Close()
	r, err := readResponse(out)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if r.PID != pid || procOwner(t, pid) == uid {
		t.Fatalf("after start: pid %d (want %d), /proc owner %d", r.PID, pid, procOwner(t, pid))
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	if args := bytes.Split(bytes.TrimSuffix(cmdline, []byte{0}), []byte{0}); len(args) != 2 || string(args[1]) != HelperArg {
		t.Fatalf("agent command line %q", cmdline)
	}

	if uid == os.Getuid() {
		return
	}
	// The agent runs as another user than this test: a real second uid.
	// Root passes the folder's permissions, but not the agent's own check
	// of its caller.
	for _, op := range []string{opIdentity, opStatus, opLock} {
		if answer := converse(t, sock, []byte(`{"op":"`+op+`"}`+"\n")); answer != "" {
			t.Fatalf("the agent answered %s to another uid: %q", op, answer)
		}
	}
	if _, err := (Client{Socket: sock}).Status(); err != ErrPeer {
		t.Fatalf("a client facing another uid's agent: %v, want ErrPeer", err)
	}
	time.Sleep(100 * time.Millisecond) // a lock it obeyed would end it at once
	if stat, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat")); err != nil || bytes.Contains(stat, []byte(") Z ")) {
		t.Fatalf("the agent did not survive another uid's lock: %s %v", stat, err)
	}
}

// Two unlocks at once over a stale socket: the agent this unlock started
// finds the other's holding the lock, and the other may not listen yet.
// Start waits for it rather than report "no agent is running".
func TestStartWaitsForTheAgentThatWonTheLock(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := privateDir700(t)
	sock := filepath.Join(dir, "w.sock")
	held, err := lockFile(sock + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		time.Sleep(300 * time.Millisecond) // the winner is slow to listen
		held()
		ln, release, err := listen(sock)
		if err != nil {
			t.Error(err)
			return
		}
		defer release()
		st := &state{identity: "old", vault: "/v.db", timeout: time.Minute}
		st.touch()
		serve(ctx, ln, st, os.Getuid())
	}()
	t.Cleanup(func() { cancel(); <-served })
	st, err := Client{Socket: sock}.Start([]string{exe, HelperArg}, "/v.db", testIdentity, time.Hour)
	if err != nil {
		t.Fatalf("Start while another agent takes the socket: %v", err)
	}
	if st.IdleTimeout != time.Hour {
		t.Fatalf("Start did not reach the winning agent: %+v", st)
	}
	if id, _ := (Client{Socket: sock}).Identity(); id != testIdentity {
		t.Fatalf("the winning agent holds %q", id)
	}
}
