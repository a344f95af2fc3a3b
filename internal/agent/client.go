package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// errRunning is the start failure of a second agent for the same vault.
var errRunning = errors.New("an agent is already running for this vault")

// Client talks to the agent of one vault.
type Client struct {
	// Socket is the agent's socket, from SocketPath.
	Socket string
	// Timeout bounds one conversation with the agent; 0 means 5s.
	Timeout time.Duration
}

func (c Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return ioTimeout
}

// call sends one request and returns the answer. It returns ErrNotRunning
// when nothing listens on the socket (none, or one left by a killed agent),
// and ErrPeer when the listener is another user's.
func (c Client) call(req request) (response, error) {
	conn, err := net.DialTimeout("unix", c.Socket, c.timeout())
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return response{}, ErrNotRunning
		}
		return response{}, fmt.Errorf("agent: %w", err)
	}
	defer conn.Close()
	uc := conn.(*net.UnixConn)
	if peerUID(uc) != os.Getuid() {
		return response{}, ErrPeer
	}
	uc.SetDeadline(time.Now().Add(c.timeout()))
	if err := writeRequest(uc, req); err != nil {
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
			// The agent hung up before reading: it expired, or it does
			// not serve this user.
			return response{}, ErrNotRunning
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return response{}, ErrNoAnswer
		}
		return response{}, fmt.Errorf("agent: %w", err)
	}
	return readResponse(uc)
}

func writeRequest(w io.Writer, req request) error {
	b, _ := json.Marshal(req)
	_, err := w.Write(append(b, '\n'))
	return err
}

func readResponse(r io.Reader) (response, error) {
	var resp response
	line, err := bufio.NewReader(io.LimitReader(r, maxMessage)).ReadBytes('\n')
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// Something listens but does not answer: a stopped or stuck agent
		// may still hold the key, so this is not "locked".
		return resp, ErrNoAnswer
	}
	if len(line) == 0 && err != nil {
		// The agent closed without answering: it expired as we asked, or
		// it does not serve this user.
		return resp, ErrNotRunning
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		return resp, errors.New("agent: malformed answer")
	}
	if !resp.OK {
		if resp.Error == ErrNotRunning.Error() {
			return resp, ErrNotRunning
		}
		return resp, errors.New("agent: " + resp.Error)
	}
	return resp, nil
}

// Identity returns the vault identity the agent holds and restarts its idle
// timeout. ErrNotRunning means the vault is locked.
func (c Client) Identity() (string, error) {
	r, err := c.call(request{Op: opIdentity})
	if err != nil {
		return "", err
	}
	if r.Identity == "" {
		return "", ErrNotRunning
	}
	return r.Identity, nil
}

// Status reports on the agent without counting as a use. ErrNotRunning
// means the vault is locked.
func (c Client) Status() (Status, error) {
	r, err := c.call(request{Op: opStatus})
	if err != nil {
		return Status{}, err
	}
	return r.status(), nil
}

// Lock makes the agent forget the identity and exit. It reports whether an
// agent was running.
func (c Client) Lock() (bool, error) {
	_, err := c.call(request{Op: opLock})
	if errors.Is(err, ErrNotRunning) {
		return false, nil
	}
	return err == nil, err
}

// LockAll locks every agent of the vault at vaultPath, in each folder of
// SocketPaths, so that `mysafe lock` run from another environment than
// `mysafe unlock` still locks. It reports whether one was running; on
// failure it still tries the others and returns the first error.
func LockAll(getenv func(string) string, vaultPath string) (bool, error) {
	paths, err := SocketPaths(getenv, vaultPath)
	if err != nil {
		return false, err
	}
	var was bool
	var first error
	for i, p := range paths {
		w, err := Client{Socket: p}.Lock()
		was = was || w
		// Another user's socket in a folder this environment does not use
		// (a squatted /tmp/mysafe-UID) is no agent of ours.
		if err != nil && first == nil && (i == 0 || !errors.Is(err, ErrPeer)) {
			first = err
		}
	}
	return was, first
}

// Unlock gives a running agent the identity and a new idle timeout.
func (c Client) Unlock(vault, identity string, timeout time.Duration) (Status, error) {
	r, err := c.call(request{Op: opUnlock, Vault: vault, Identity: identity, TimeoutMS: timeout.Milliseconds()})
	if err != nil {
		return Status{}, err
	}
	return r.status(), nil
}

// Start hands the identity to the vault's agent: the running one, or a new
// one started detached with command (the program and HelperArg). The
// identity travels through a pipe; the new agent's environment has no
// MYSAFE_* variable, so no passphrase or identity there either. Start
// returns once the agent listens.
func (c Client) Start(command []string, vault, identity string, timeout time.Duration) (Status, error) {
	if err := ParseTimeout(timeout); err != nil {
		return Status{}, err
	}
	if st, err := c.Unlock(vault, identity, timeout); !errors.Is(err, ErrNotRunning) {
		return st, err
	}
	err := c.spawn(command, request{Op: opStart, Socket: c.Socket, Vault: vault, Identity: identity, TimeoutMS: timeout.Milliseconds()})
	if errors.Is(err, errRunning) {
		// Another unlock started one a moment ago; it holds the lock and
		// may not listen yet.
		return c.unlockWhenListening(vault, identity, timeout)
	}
	if err != nil {
		return Status{}, err
	}
	return c.Status()
}

// startWait bounds how long Start waits for an agent another unlock started.
const startWait = 10 * time.Second

// unlockWhenListening is Unlock, retried while the agent that holds the
// lock is still on its way to listening.
func (c Client) unlockWhenListening(vault, identity string, timeout time.Duration) (Status, error) {
	deadline := time.Now().Add(startWait)
	for {
		st, err := c.Unlock(vault, identity, timeout)
		if !errors.Is(err, ErrNotRunning) || time.Now().After(deadline) {
			return st, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c Client) spawn(command []string, req request) error {
	if len(command) == 0 {
		return errors.New("no agent command")
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Dir = "/"
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "MYSAFE_") })
	cmd.SysProcAttr = startAttr()
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the agent: %w", err)
	}
	// The agent outlives this process; nobody waits for it.
	defer cmd.Process.Release()
	err = writeRequest(in, req)
	in.Close()
	if err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("starting the agent: %w", err)
	}
	type answer struct {
		r   response
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		r, err := readResponse(out)
		ch <- answer{r, err}
	}()
	select {
	case a := <-ch:
		out.Close()
		if a.err != nil {
			if errors.Is(a.err, ErrNotRunning) {
				return errors.New("the agent exited at once")
			}
			if strings.Contains(a.err.Error(), errRunning.Error()) {
				return errRunning
			}
			msg := strings.TrimPrefix(a.err.Error(), "agent: ")
			if rest, ok := strings.CutPrefix(msg, ErrUnsafeDir.Error()); ok {
				// Keep the reason callers tell apart (exit code 6).
				return fmt.Errorf("the agent cannot start: %w%s", ErrUnsafeDir, rest)
			}
			return fmt.Errorf("the agent cannot start: %s", msg)
		}
		return nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		out.Close()
		return errors.New("the agent did not start within 10s")
	}
}
