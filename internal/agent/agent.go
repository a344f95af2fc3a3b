// Package agent keeps a vault unlocked for a while, so that the commands a
// person runs after `mysafe unlock` need neither the passphrase nor scrypt.
//
// The agent is a small detached process (mysafe itself, started with the
// hidden argument HelperArg) that holds one thing in memory: the vault
// identity, the AGE-SECRET-KEY-1... string `mysafe identity export` prints.
// A command asks it for the identity over a Unix socket and unlocks the vault
// with it, which costs one age X25519 decryption. It also keeps the OAuth 2.0
// access tokens `mysafe token` fetched, under a hash of what they were asked
// for, until shortly before they expire (never a client secret). There is one agent per
// vault file: the socket's name is a hash of the vault's absolute, resolved
// path.
//
// What protects the identity:
//   - the socket lives in a folder only the user can enter (0700, owned by
//     the user: $XDG_RUNTIME_DIR/mysafe, or $TMPDIR/mysafe-UID), is itself
//     0600, and the agent refuses to start if the folder is anybody else's
//     or open to others;
//   - the agent checks every caller's uid with SO_PEERCRED and drops other
//     users' connections unanswered; callers check the agent's uid the same
//     way, so nobody else's process can pose as the agent;
//   - the identity reaches the agent through a pipe, never its arguments or
//     environment, and is never written to disk;
//   - the agent's memory cannot be dumped or read with ptrace by other
//     unprivileged processes (PR_SET_DUMPABLE 0) and it writes no core file
//     (RLIMIT_CORE 0);
//   - it forgets by exiting: after the idle timeout (measured on the wall
//     clock, so a machine that slept past it is locked when it wakes), on
//     `mysafe lock`, or on SIGTERM, SIGINT or SIGHUP.
//
// The root user can read any process's memory; the agent does not protect
// against root, and neither does anything else on the machine.
//
// The protocol is one JSON request and one JSON response, each a single
// line, per connection.
package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// HelperArg is the hidden command-line argument that makes mysafe run as the
// agent. A program that starts agents must dispatch it to Run.
const HelperArg = "__mysafe-agent"

// DefaultTimeout is how long an agent keeps the vault unlocked after its
// last use when `mysafe unlock` is given no --timeout.
const DefaultTimeout = 15 * time.Minute

// MaxTimeout bounds the idle timeout: an agent that never forgets would be a
// passphrase written down.
const MaxTimeout = 24 * time.Hour

// Errors returned by this package.
var (
	// ErrNotRunning means no agent answers for this vault: it is locked.
	ErrNotRunning = errors.New("no agent is running for this vault")
	// ErrUnsafeDir means the socket folder is not private to the user.
	ErrUnsafeDir = errors.New("the agent's folder is not private")
	// ErrNoAnswer means an agent listens but did not answer in time: it
	// may still hold the key.
	ErrNoAnswer = errors.New("the agent does not answer")
	// ErrPeer means the other end of the socket is another user's process.
	ErrPeer = errors.New("the other end of the agent socket belongs to another user")
)

// maxSunPath is the longest socket path Linux accepts (108 bytes with the
// terminating NUL).
const maxSunPath = 107

// Dir returns the folder that holds the agents' sockets:
// $XDG_RUNTIME_DIR/mysafe when XDG_RUNTIME_DIR is an absolute path, else
// mysafe-UID in $TMPDIR (or /tmp). getenv looks up environment variables.
func Dir(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "mysafe")
	}
	tmp := getenv("TMPDIR")
	if tmp == "" || !filepath.IsAbs(tmp) {
		tmp = "/tmp"
	}
	return filepath.Join(tmp, "mysafe-"+strconv.Itoa(os.Getuid()))
}

// SocketPath returns the socket of the agent for the vault at vaultPath.
// Symbolic links and relative paths are resolved, so every way of naming a
// vault file leads to the same agent.
func SocketPath(getenv func(string) string, vaultPath string) (string, error) {
	abs, err := filepath.Abs(vaultPath)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	sum := sha256.Sum256([]byte(abs))
	p := filepath.Join(Dir(getenv), "agent-"+hex.EncodeToString(sum[:12])+".sock")
	if len(p) > maxSunPath {
		return "", fmt.Errorf("the agent socket path %s is longer than %d bytes; set XDG_RUNTIME_DIR to a shorter folder", p, maxSunPath)
	}
	return p, nil
}

// SocketPaths returns every socket an agent of the vault at vaultPath may
// listen on, SocketPath's first: an `unlock` run where the environment
// differed (a shell with XDG_RUNTIME_DIR, an SSH session or a container
// shell without it, another TMPDIR) put its agent in one of the folders
// Dir picks for $XDG_RUNTIME_DIR, /run/user/UID, $TMPDIR or /tmp.
func SocketPaths(getenv func(string) string, vaultPath string) ([]string, error) {
	first, err := SocketPath(getenv, vaultPath)
	if err != nil {
		return nil, err
	}
	paths := []string{first}
	uid := strconv.Itoa(os.Getuid())
	for _, env := range []map[string]string{
		{"XDG_RUNTIME_DIR": "/run/user/" + uid, "TMPDIR": getenv("TMPDIR")},
		{"TMPDIR": getenv("TMPDIR")},
		{},
	} {
		if p, err := SocketPath(func(k string) string { return env[k] }, vaultPath); err == nil && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// ParseTimeout checks an idle timeout: more than zero, at most MaxTimeout.
func ParseTimeout(d time.Duration) error {
	if d <= 0 {
		return errors.New("the idle timeout must be longer than zero")
	}
	if d > MaxTimeout {
		return fmt.Errorf("the idle timeout is at most %s", MaxTimeout)
	}
	return nil
}

// Status is what an agent reports about itself.
type Status struct {
	Vault       string        // the vault file it holds the identity of
	PID         int           // its process id
	IdleTimeout time.Duration // how long it waits after the last use
	ExpiresAt   time.Time     // when it forgets unless used again
}

// request is what a client sends, one JSON line.
type request struct {
	Op        string `json:"op"` // opIdentity, opStatus, opLock, opUnlock, opTokenGet, opTokenPut
	Identity  string `json:"identity,omitempty"`
	TimeoutMS int64  `json:"timeout_ms,omitempty"`
	Vault     string `json:"vault,omitempty"`
	Socket    string `json:"socket,omitempty"` // only in the start request
	// Key and Token are for the token cache (opTokenGet, opTokenPut).
	Key   string       `json:"key,omitempty"`
	Token *CachedToken `json:"token,omitempty"`
}

const (
	opIdentity = "identity" // return the identity; counts as a use
	opStatus   = "status"   // report; not a use
	opLock     = "lock"     // forget and exit
	opUnlock   = "unlock"   // replace the identity and timeout; a use
	opStart    = "start"    // the first request, on the helper's stdin
)

// response is what the agent answers, one JSON line.
type response struct {
	OK          bool   `json:"ok"`
	Error       string `json:"error,omitempty"`
	Identity    string `json:"identity,omitempty"`
	Vault       string `json:"vault,omitempty"`
	PID         int    `json:"pid,omitempty"`
	TimeoutMS   int64  `json:"timeout_ms,omitempty"`
	ExpiresAtMS int64  `json:"expires_at_unix_ms,omitempty"`
	// Token answers opTokenGet: the cached token, nil for none.
	Token *CachedToken `json:"token,omitempty"`
}

func (r response) status() Status {
	return Status{Vault: r.Vault, PID: r.PID, IdleTimeout: time.Duration(r.TimeoutMS) * time.Millisecond,
		ExpiresAt: time.UnixMilli(r.ExpiresAtMS)}
}

// maxMessage bounds what either side reads: an identity is 74 bytes.
const maxMessage = 16 << 10
