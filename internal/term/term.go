// Package term holds mysafe's input and output streams and its prompts.
//
// Data goes to Out, messages to ErrOut, and prompts to the controlling
// terminal (/dev/tty), never to stdout, so `mysafe reveal x | pbcopy` carries
// exactly the value. Prompts are only ever shown when a person is there: the
// caller asks CanPrompt first and fails fast otherwise, so a script with no
// terminal is never left waiting.
package term

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	xterm "golang.org/x/term"

	"github.com/mysafe/mysafe/internal/display"
)

// ErrNoTerminal is returned by prompts when no terminal is available.
var ErrNoTerminal = errors.New("no terminal to prompt on")

// ErrInterrupted is returned by a prompt that Prompter.Interrupt ended (the
// user pressed Ctrl-C); the terminal is restored first.
var ErrInterrupted = errors.New("interrupted")

// IOStreams are a command's standard streams plus what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	StdinTTY  bool
	StdoutTTY bool
	StderrTTY bool

	// OpenTTY opens the controlling terminal for prompts; nil means none.
	OpenTTY func() (TTY, error)
	// NoInput forbids prompts even when a terminal is present.
	NoInput bool
}

// TTY is an open terminal that prompts read from and write to.
type TTY interface {
	io.ReadWriteCloser
	Fd() uintptr
}

// System returns the process's real streams.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		StdinTTY:  isTerminal(os.Stdin),
		StdoutTTY: isTerminal(os.Stdout),
		StderrTTY: isTerminal(os.Stderr),
		OpenTTY:   openTTY,
	}
}

func isTerminal(f *os.File) bool { return xterm.IsTerminal(int(f.Fd())) }

// CanPrompt reports whether a person can be asked: prompts are allowed, the
// process is attached to a terminal (stdin or stderr is one) and the
// controlling terminal opens.
func (s *IOStreams) CanPrompt() bool {
	if s.NoInput || s.OpenTTY == nil || !(s.StdinTTY || s.StderrTTY) {
		return false
	}
	t, err := s.OpenTTY()
	if err != nil {
		return false
	}
	t.Close()
	return true
}

// Prompter asks questions on the terminal.
type Prompter struct {
	IO *IOStreams
	// Interrupt, when it is closed, ends a prompt waiting for an answer:
	// echo is turned back on, the prompt line erased, and the prompt returns
	// ErrInterrupted. The program closes it on Ctrl-C; term installs no
	// signal handler of its own. nil means prompts are never interrupted.
	Interrupt <-chan struct{}
}

func (p Prompter) open() (TTY, error) {
	if !p.IO.CanPrompt() {
		return nil, ErrNoTerminal
	}
	return p.IO.OpenTTY()
}

// Secret asks for a value without echo. When Interrupt is closed meanwhile,
// the terminal is restored and Secret returns ErrInterrupted.
func (p Prompter) Secret(prompt string) ([]byte, error) {
	t, err := p.open()
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return readSecret(t, prompt, p.Interrupt)
}

// NewSecret asks for a new value twice, without echo, and insists they match
// and are not empty.
func (p Prompter) NewSecret(prompt, again string) ([]byte, error) {
	t, err := p.open()
	if err != nil {
		return nil, err
	}
	defer t.Close()
	a, err := readSecret(t, prompt, p.Interrupt)
	if err != nil {
		return nil, err
	}
	if len(a) == 0 {
		return nil, errors.New("empty passphrase")
	}
	b, err := readSecret(t, again, p.Interrupt)
	if err != nil {
		return nil, err
	}
	if string(a) != string(b) {
		return nil, errors.New("the passphrases do not match")
	}
	return a, nil
}

// maxSecretInput bounds a secret typed at the terminal.
const maxSecretInput = 64 << 10

// eraseLine returns the cursor to the start of the line and clears it.
const eraseLine = "\r\x1b[K"

// readSecret asks for a secret. Echo is turned off before the prompt is
// printed, so nothing typed ahead of it shows, and the prompt line is erased
// afterwards, so the screen keeps no trace of the question either. A close
// of interrupt ends the wait (see Prompter.Interrupt).
func readSecret(t TTY, prompt string, interrupt <-chan struct{}) ([]byte, error) {
	fd := fdOf(t)
	stop := onInterrupt(t, interrupt)
	defer stop()
	restore, err := echoOff(fd)
	if err != nil {
		// No termios here: let x/term turn echo off after the prompt.
		fmt.Fprint(t, display.Safe(prompt))
		b, err := xterm.ReadPassword(fd)
		fmt.Fprintln(t)
		return b, interrupted(err, interrupt)
	}
	fmt.Fprint(t, display.Safe(prompt))
	b, err := readLine(t)
	restore()
	fmt.Fprint(t, eraseLine)
	return b, interrupted(err, interrupt)
}

// fdOf returns t's file descriptor. An *os.File's Fd method would put the
// file back in blocking mode, where read deadlines (and so interrupts) no
// longer work; its SyscallConn does not.
func fdOf(t TTY) int {
	if sc, ok := t.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			fd := -1
			if rc.Control(func(u uintptr) { fd = int(u) }) == nil && fd >= 0 {
				return fd
			}
		}
	}
	return int(t.Fd())
}

// onInterrupt makes a read from t that is waiting when interrupt closes
// return at once, with a deadline error; it returns how to stop watching.
// A terminal opened from /dev/tty supports deadlines (the runtime polls
// it); a TTY without them is not interrupted.
func onInterrupt(t TTY, interrupt <-chan struct{}) (stop func()) {
	d, ok := t.(interface{ SetReadDeadline(time.Time) error })
	if interrupt == nil || !ok {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-interrupt:
			d.SetReadDeadline(time.Now())
		case <-done:
		}
	}()
	return func() { close(done) }
}

// interrupted turns the error of a read that interrupt ended into
// ErrInterrupted.
func interrupted(err error, interrupt <-chan struct{}) error {
	if err == nil || interrupt == nil {
		return err
	}
	select {
	case <-interrupt:
		return ErrInterrupted
	default:
		return err
	}
}

// readLine reads up to a newline, one byte at a time so nothing after it
// is consumed, and drops the newline (and a CR before it).
func readLine(r io.Reader) ([]byte, error) {
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return bytes.TrimSuffix(line, []byte("\r")), nil
			}
			if len(line) >= maxSecretInput {
				return nil, fmt.Errorf("longer than %d bytes", maxSecretInput)
			}
			line = append(line, buf[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
	}
}

// Line asks for one line of text with echo. An empty answer is returned as
// "".
func (p Prompter) Line(prompt string) (string, error) {
	t, err := p.open()
	if err != nil {
		return "", err
	}
	defer t.Close()
	defer onInterrupt(t, p.Interrupt)()
	fmt.Fprint(t, display.Safe(prompt))
	// Read byte by byte so nothing past the newline is consumed.
	var sb strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := t.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			if buf[0] != '\r' {
				sb.WriteByte(buf[0])
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && sb.Len() > 0 {
				break
			}
			return "", interrupted(err, p.Interrupt)
		}
	}
	return strings.TrimSpace(sb.String()), nil
}

// Confirm asks a yes/no question; only "y" or "yes" is yes.
func (p Prompter) Confirm(prompt string) (bool, error) {
	ans, err := p.Line(prompt + " [y/N] ")
	if err != nil {
		return false, err
	}
	ans = strings.ToLower(ans)
	return ans == "y" || ans == "yes", nil
}

// ReadSecretLine reads a secret from r (a pipe or a file): everything up to
// EOF, with one trailing newline (\n or \r\n) removed.
func ReadSecretLine(r io.Reader, max int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), int64(max)+3))
	if err != nil {
		return nil, err
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	if ok {
		s = strings.TrimSuffix(s, "\r")
	}
	if len(s) > max {
		return nil, fmt.Errorf("longer than %d bytes", max)
	}
	return []byte(s), nil
}
