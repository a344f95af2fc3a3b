// Package clipboard puts a secret on the user's clipboard without printing it,
// and takes it off again later without making the caller wait.
//
// Copy hands the data to a clipboard tool (wl-copy, xclip, xsel, pbcopy or
// PowerShell) through the tool's standard input, never its arguments or
// environment, or writes an OSC 52 escape sequence to the terminal. When a
// clear is asked for, Copy also starts a detached helper process, a second
// copy of the running program started with the single argument HelperArg,
// which must call RunClearHelper. The helper is told when to clear, through a
// pipe, along with a random salt and an HMAC-SHA256 of the copied data under
// that salt, never the data itself. When the time comes it clears the
// clipboard only if the clipboard still holds that data and no later Copy to
// the same clipboard has taken over; so content the user copied since is left
// alone, and copying again restarts the timer.
//
// The package never reads the process environment directly: everything it
// needs comes through an Env, which SystemEnv fills from the real system.
package clipboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"time"
)

// HelperArg is the hidden command-line argument that makes the program act as
// the clear helper. Copy starts the helper as the current executable with
// exactly this one argument; the program must then call RunClearHelper with
// its standard input before doing anything else (no configuration, no vault,
// no prompts), because the helper runs detached from any terminal.
const HelperArg = "__clipboard-clear"

// ErrUnavailable is the error, wrapped with a hint, that Copy and Select
// return when there is no clipboard they can use. The wrapped message says
// what is missing and what to do instead (install a tool, copy through the
// terminal with OSC 52, or print the value).
var ErrUnavailable = errors.New("no clipboard available")

// Env is the environment the package looks at: the variables that locate a
// display (DISPLAY, WAYLAND_DISPLAY, XAUTHORITY, XDG_RUNTIME_DIR), an SSH
// session (SSH_CONNECTION, SSH_CLIENT, SSH_TTY), the clipboard tools on the
// PATH and the operating system. A nil function or an empty GOOS falls back
// to the value SystemEnv gives.
type Env struct {
	// Getenv returns the value of an environment variable, or "" if unset.
	Getenv func(string) string
	// LookPath finds a program the way exec.LookPath does.
	LookPath func(string) (string, error)
	// GOOS is the operating system, as in runtime.GOOS.
	GOOS string
	// Dial connects to a display server (Check only connects and hangs
	// up), as net.DialTimeout does with a timeout of a few seconds.
	Dial func(network, address string) (net.Conn, error)
}

// SystemEnv returns the Env of the running process.
func SystemEnv() Env {
	return Env{Getenv: os.Getenv, LookPath: exec.LookPath, GOOS: runtime.GOOS, Dial: dialDisplay}
}

func (e Env) withDefaults() Env {
	sys := SystemEnv()
	if e.Getenv == nil {
		e.Getenv = sys.Getenv
	}
	if e.LookPath == nil {
		e.LookPath = sys.LookPath
	}
	if e.GOOS == "" {
		e.GOOS = sys.GOOS
	}
	if e.Dial == nil {
		e.Dial = sys.Dial
	}
	return e
}

// has reports whether every named program is on the PATH.
func (e Env) has(names ...string) bool {
	for _, n := range names {
		if _, err := e.LookPath(n); err != nil {
			return false
		}
	}
	return true
}

// Backend names a way of reaching a clipboard. Its string form is the name to
// show the user ("xclip", "osc52", ...).
type Backend string

// The backends, in the order Select prefers them on each system.
const (
	// Wayland is the Wayland clipboard through wl-copy and wl-paste.
	Wayland Backend = "wl-copy"
	// XClip is the X11 CLIPBOARD selection through xclip.
	XClip Backend = "xclip"
	// XSel is the X11 CLIPBOARD selection through xsel.
	XSel Backend = "xsel"
	// Pasteboard is the macOS general pasteboard through pbcopy and pbpaste.
	Pasteboard Backend = "pbcopy"
	// PowerShell is the Windows clipboard through powershell.exe (or pwsh.exe).
	PowerShell Backend = "powershell"
	// OSC52 is the terminal's clipboard, reached by an escape sequence written
	// to the terminal. It cannot be read back, so it is never cleared.
	OSC52 Backend = "osc52"
)

// String returns the backend's name.
func (b Backend) String() string { return string(b) }

// CanClear reports whether the backend's clipboard can be read back, which
// clearing needs. It is false only for OSC52.
func (b Backend) CanClear() bool { return b != OSC52 && b.valid() }

func (b Backend) valid() bool {
	switch b {
	case Wayland, XClip, XSel, Pasteboard, PowerShell, OSC52:
		return true
	}
	return false
}

// Options control one Copy.
type Options struct {
	// ClearAfter is how long the data may stay on the clipboard. Zero means
	// it is never cleared; negative values are an error. Clearing is not
	// possible with OSC52, whatever this says.
	ClearAfter time.Duration
	// OSC52 asks for the OSC 52 escape sequence even when a system clipboard
	// is available (as `reveal --copy --osc52` does).
	OSC52 bool
	// Terminal is the user's terminal, normally /dev/tty opened for writing;
	// the OSC 52 sequence is written to it. Nil means no terminal is
	// attached: OSC 52 is then never chosen automatically, and asking for it
	// fails with ErrUnavailable.
	Terminal io.Writer
	// HelperCommand is the program and arguments that run RunClearHelper.
	// Nil means the current executable with HelperArg, which is what a
	// program that dispatches HelperArg wants.
	HelperCommand []string
}

// Result says what Copy did, for the message the caller shows.
type Result struct {
	// Backend is the clipboard the data went to.
	Backend Backend
	// Sensitive reports whether the copy was marked as a secret for
	// clipboard managers and clipboard history (wl-copy --sensitive, or the
	// Windows history and cloud exclusion formats).
	Sensitive bool
	// ClearScheduled reports whether a helper will clear the clipboard after
	// ClearAfter. It is false when ClearAfter is zero and always false for
	// OSC52: the caller should then say that nothing will clear it.
	ClearScheduled bool
	// ClearAfter is the delay the helper was given, or zero.
	ClearAfter time.Duration
}

// Copy puts data on the clipboard Select chooses for env and opts, and, if
// opts.ClearAfter is positive and the clipboard can be read back, starts the
// detached helper that clears it after that long.
//
// The data reaches the clipboard tool only through its standard input. Every
// copy to a system clipboard also cancels the clear a previous Copy scheduled
// for that clipboard, so copying again restarts the timer and a copy with
// ClearAfter zero leaves the new content in place.
//
// Copy schedules the clear before it copies: if the helper cannot be started,
// nothing is copied and the error says so. Errors wrap ErrUnavailable when no
// clipboard can be used, which includes a tool that failed because its
// display server does not answer (a closed session, a stale DISPLAY in a
// terminal multiplexer); otherwise they come from the clipboard tool (with
// its message) or from preparing the clear. Copy returns as soon as the tool
// has taken the data; it never waits for the clear. It is meant for a
// short-lived program: the helper is its child, never reaped, so in a
// long-running process it would linger as a zombie once it has exited.
func Copy(ctx context.Context, env Env, data []byte, opts Options) (Result, error) {
	res, helper, err := copyData(ctx, env, data, opts)
	if helper != nil {
		// The helper outlives this process by design; nobody waits for it.
		_ = helper.Release()
	}
	return res, err
}

// copyData is Copy, returning the helper process so tests can wait for it.
func copyData(ctx context.Context, env Env, data []byte, opts Options) (Result, *os.Process, error) {
	if len(data) == 0 {
		return Result{}, nil, errors.New("nothing to copy: the value is empty")
	}
	if opts.ClearAfter < 0 {
		return Result{}, nil, fmt.Errorf("invalid clear delay %v: it must be positive, or 0 for never", opts.ClearAfter)
	}
	env = env.withDefaults()
	b, err := Select(env, opts)
	if err != nil {
		return Result{}, nil, err
	}
	if b == OSC52 {
		if err := WriteOSC52(opts.Terminal, data); err != nil {
			return Result{}, nil, fmt.Errorf("cannot write OSC 52 sequence to the terminal: %w", err)
		}
		return Result{Backend: OSC52}, nil, nil
	}
	sb, err := newSystemBoard(env, b)
	if err != nil {
		return Result{}, nil, err
	}

	// Take over the clipboard's clear: from here on, any helper an earlier
	// copy started stands down.
	c, err := claim(ctx, env, b)
	if err != nil {
		if opts.ClearAfter > 0 {
			return Result{}, nil, fmt.Errorf("cannot schedule clearing the clipboard, so nothing was copied: %w", err)
		}
		// Nothing to schedule. The only loss is that a clear pending for
		// the same content is not cancelled, which errs towards clearing.
		sensitive, err := sb.copy(ctx, data)
		if err != nil {
			return Result{}, nil, explainFailure(env, b, err)
		}
		return Result{Backend: b, Sensitive: sensitive}, nil, nil
	}
	defer c.unlock()

	res := Result{Backend: b}
	var helper *os.Process
	if opts.ClearAfter > 0 {
		req, err := newClearRequest(b, data, c.token, c.state, time.Now().Add(opts.ClearAfter))
		if err == nil {
			helper, err = startHelper(env, opts.HelperCommand, req)
		}
		if err != nil {
			c.giveBack()
			return Result{}, nil, fmt.Errorf("cannot start the process that clears the clipboard, so nothing was copied: %w", err)
		}
		res.ClearScheduled = true
		res.ClearAfter = opts.ClearAfter
	}

	sensitive, err := sb.copy(ctx, data)
	if err != nil {
		// The clipboard may still hold an earlier copy whose helper must
		// keep its claim; ours stands down when it finds the old token.
		c.giveBack()
		return Result{}, helper, explainFailure(env, b, err)
	}
	res.Sensitive = sensitive
	return res, helper, nil
}

// claimed is a clipboard's state, locked, with a fresh token written in
// place of the previous one.
type claimed struct {
	state
	token, previous string
	unlock          func()
}

// claim prepares the state of clipboard b, locks it and writes a fresh token.
// The caller must call unlock, and giveBack if the copy does not happen.
func claim(ctx context.Context, env Env, b Backend) (*claimed, error) {
	st, err := stateFor(env, b)
	if err != nil {
		return nil, err
	}
	if err := st.prepare(); err != nil {
		return nil, err
	}
	unlock, err := lockFile(ctx, st.lockFile)
	if err != nil {
		return nil, err
	}
	c := &claimed{state: st, previous: readToken(st.tokenFile), unlock: unlock}
	if c.token, err = newToken(); err == nil {
		err = writeToken(st.tokenFile, c.token)
	}
	if err != nil {
		unlock()
		return nil, err
	}
	return c, nil
}

// giveBack restores the previous token, so the clear an earlier copy
// scheduled still happens.
func (c *claimed) giveBack() {
	if c.previous == "" {
		_ = os.Remove(c.tokenFile)
		return
	}
	_ = writeToken(c.tokenFile, c.previous)
}
