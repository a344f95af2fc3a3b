package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// checkEvery is how often the agent looks at the wall clock for its
// deadline. Go timers run on the monotonic clock, which stops while the
// machine sleeps.
const checkEvery = time.Second

// ioTimeout bounds one conversation on the socket.
const ioTimeout = 5 * time.Second

// Run is the agent: the program started with HelperArg. It protects its
// memory, reads the start request (socket, vault, identity, timeout) from stdin,
// takes the socket, writes one JSON line to stdout once it listens (or the
// reason it cannot), and serves until it is locked, idle past its timeout or
// ctx ends. It returns nil when it ended normally.
func Run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	// Harden before the key arrives: a tracer that attached while the
	// process was still dumpable would stay attached.
	err := harden()
	var req request
	if err == nil {
		req, err = readRequest(stdin)
	}
	if err == nil && req.Op != opStart {
		err = errors.New("expected a start request")
	}
	var ln *net.UnixListener
	var release func()
	if err == nil {
		ln, release, err = listen(req.Socket)
	}
	st := &state{identity: req.Identity, vault: req.Vault, timeout: time.Duration(req.TimeoutMS) * time.Millisecond}
	if err == nil {
		err = ParseTimeout(st.timeout)
	}
	if err != nil {
		if ln != nil {
			ln.Close()
			release()
		}
		writeResponse(stdout, response{Error: err.Error()})
		return err
	}
	defer release()
	st.touch()
	if err := writeResponse(stdout, response{OK: true, PID: os.Getpid()}); err != nil {
		ln.Close()
		return err
	}
	return serve(ctx, ln, st, os.Getuid())
}

// state is what the agent knows. Its fields are guarded by mu.
type state struct {
	mu       sync.Mutex
	identity string
	vault    string
	timeout  time.Duration
	expires  time.Time // wall clock only, no monotonic reading
	// tokens are the access tokens `mysafe token` cached, by key; they
	// go when the agent exits.
	tokens map[string]CachedToken
}

func (s *state) touch() { s.expires = time.Now().Add(s.timeout).Round(0) }

func (s *state) response() response {
	return response{OK: true, Vault: s.vault, PID: os.Getpid(), TimeoutMS: s.timeout.Milliseconds(), ExpiresAtMS: s.expires.UnixMilli()}
}

// serve answers connections until the agent is locked or expires. Callers
// whose uid is not uid are dropped without an answer.
func serve(ctx context.Context, ln *net.UnixListener, st *state, uid int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	go func() {
		t := time.NewTicker(checkEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				st.mu.Lock()
				expired := !time.Now().Round(0).Before(st.expires)
				st.mu.Unlock()
				if expired {
					cancel()
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			if peerUID(c) != uid {
				return
			}
			if handle(c, st) {
				cancel()
			}
		}()
	}
}

// handle answers one request; it reports whether the agent must exit.
func handle(c *net.UnixConn, st *state) (exit bool) {
	c.SetDeadline(time.Now().Add(ioTimeout))
	req, err := readRequest(c)
	if err != nil {
		writeResponse(c, response{Error: err.Error()})
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !time.Now().Round(0).Before(st.expires) {
		// Expired between two ticks: forget now rather than answer.
		writeResponse(c, response{Error: ErrNotRunning.Error()})
		return true
	}
	switch req.Op {
	case opIdentity:
		st.touch()
		r := st.response()
		r.Identity = st.identity
		writeResponse(c, r)
	case opStatus:
		writeResponse(c, st.response())
	case opTokenGet, opTokenPut:
		writeResponse(c, st.tokenOp(req, time.Now()))
	case opLock:
		// Forget everything now: a request that reaches the agent before
		// its listener closes is answered as if it had already stopped.
		st.identity, st.tokens, st.expires = "", nil, time.Time{}
		writeResponse(c, response{OK: true, PID: os.Getpid()})
		return true
	case opUnlock:
		d := time.Duration(req.TimeoutMS) * time.Millisecond
		if err := ParseTimeout(d); err != nil || req.Identity == "" {
			writeResponse(c, response{Error: "bad unlock request"})
			return false
		}
		if req.Identity != st.identity {
			// Another identity is another vault's key: its tokens were
			// not asked for with it.
			st.tokens = nil
		}
		st.identity, st.timeout = req.Identity, d
		if req.Vault != "" {
			st.vault = req.Vault
		}
		st.touch()
		writeResponse(c, st.response())
	default:
		writeResponse(c, response{Error: fmt.Sprintf("unknown request %q", req.Op)})
	}
	return false
}

func readRequest(r io.Reader) (request, error) {
	var req request
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxMessage), 512).ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return req, fmt.Errorf("reading the request: %w", err)
	}
	if err := json.Unmarshal(line, &req); err != nil {
		return req, errors.New("malformed request")
	}
	return req, nil
}

func writeResponse(w io.Writer, r response) error {
	b, _ := json.Marshal(r)
	_, err := w.Write(append(b, '\n'))
	return err
}

// listen takes the socket: it makes sure the folder is private, takes the
// agent lock (held for the agent's life, released by the kernel even if the
// agent is killed), removes a socket left by a dead agent and listens with
// mode 0600. release gives the lock back.
func listen(socket string) (*net.UnixListener, func(), error) {
	if socket == "" || !filepath.IsAbs(socket) {
		return nil, nil, errors.New("the socket path must be absolute")
	}
	if err := privateDir(filepath.Dir(socket)); err != nil {
		return nil, nil, err
	}
	release, err := lockFile(socket + ".lock")
	if err != nil {
		return nil, nil, err
	}
	// Holding the lock, any socket here is a dead agent's.
	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		release()
		return nil, nil, err
	}
	ln, err := listenPrivate(socket)
	if err != nil {
		release()
		return nil, nil, err
	}
	return ln, release, nil
}

// privateDir creates dir 0700 if it is missing and refuses it unless it is a
// real folder (not a link) owned by this user and closed to everyone else,
// in folders nobody else can rearrange (see safeParents).
func privateDir(dir string) error {
	if err := safeParents(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a folder", ErrUnsafeDir, dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %o (want 700)", ErrUnsafeDir, dir, fi.Mode().Perm())
	}
	if owner, ok := ownerOf(fi); !ok || owner != os.Getuid() {
		return fmt.Errorf("%w: %s belongs to another user", ErrUnsafeDir, dir)
	}
	return nil
}

// safeParents refuses dir unless it and every folder above it belong to this
// user or root, and none is writable by others without the sticky bit (as
// /tmp has). Whoever can write to a folder can rename what is in it, and
// so swap the agent's private folder for their own after it was checked.
func safeParents(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	for d := real; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if owner, ok := ownerOf(fi); !ok || (owner != os.Getuid() && owner != 0) {
			return fmt.Errorf("%w: %s belongs to another user", ErrUnsafeDir, d)
		}
		if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&os.ModeSticky == 0 {
			return fmt.Errorf("%w: others can write to %s (mode %o)", ErrUnsafeDir, d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
