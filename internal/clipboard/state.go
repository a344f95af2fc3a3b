package clipboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// lockTimeout bounds the wait for another mysafe process that is copying to,
// or clearing, the same clipboard. Both hold the lock only while a tool runs.
const lockTimeout = 3 * toolTimeout

// state names the files that tie copies and clear helpers together for one
// clipboard. The token file holds the token of the latest copy: a helper
// clears only if it still holds the token it was given, so a newer copy
// (which writes a new token) takes over the clear. The lock file serialises
// "write the token and copy" against "check the token, read and clear".
type state struct {
	dir       string
	tokenFile string
	lockFile  string
}

// stateFor returns the state of the clipboard backend b reaches in env. The
// directory is $XDG_RUNTIME_DIR/mysafe, or mysafe-<uid> in the temporary
// directory; the file names depend on the clipboard (the X display, the
// Wayland socket), so a copy to one clipboard never cancels the clear of
// another.
func stateFor(env Env, b Backend) (state, error) {
	var dir string
	if d := env.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		dir = filepath.Join(d, "mysafe")
	} else if uid := os.Getuid(); uid >= 0 {
		dir = filepath.Join(os.TempDir(), "mysafe-"+strconv.Itoa(uid))
	} else {
		// Windows: the temporary directory is already per user.
		dir = filepath.Join(os.TempDir(), "mysafe")
	}
	var key string
	switch b {
	case XClip, XSel:
		key = "x11\x00" + env.Getenv("DISPLAY")
	case Wayland:
		key = "wayland\x00" + env.Getenv("WAYLAND_DISPLAY")
	case Pasteboard, PowerShell:
		key = string(b)
	default:
		return state{}, fmt.Errorf("clipboard backend %q cannot be cleared", string(b))
	}
	sum := sha256.Sum256([]byte(key))
	name := "clipboard-" + hex.EncodeToString(sum[:8])
	return state{
		dir:       dir,
		tokenFile: filepath.Join(dir, name+".token"),
		lockFile:  filepath.Join(dir, name+".lock"),
	}, nil
}

// prepare creates the state directory, private to the user, and refuses one
// that someone else could have planted or can write to.
func (s state) prepare() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", s.dir, err)
	}
	return checkPrivateDir(s.dir)
}

// newToken returns 32 random bytes in hex.
func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// writeToken replaces the token file atomically, mode 0600.
func writeToken(path, token string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(token + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// readToken returns the token in the file, or "" if there is none.
func readToken(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 256 {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// tokenIs reports whether the token file holds token. A missing or
// unreadable file holds no token.
func tokenIs(path, token string) bool {
	got := readToken(path)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// errLocked means another process held the lock for the whole lockTimeout.
var errLocked = errors.New("the clipboard state is locked by another mysafe process")

// lockFile takes an exclusive lock on path, creating it mode 0600, and
// returns the function that releases it. It polls rather than blocks, so the
// context and lockTimeout can end the wait. Where the system has no file
// locks the lock is a no-op; see lock_none.go.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	deadline := time.Now().Add(lockTimeout)
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", path, err)
		}
		if ok {
			return func() { unlock(f); f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, errLocked
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
