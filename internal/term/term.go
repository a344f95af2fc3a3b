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
	"os/signal"
	"strings"

	xterm "golang.org/x/term"

	"github.com/mysafe/mysafe/internal/display"
)

// ErrNoTerminal is returned by prompts when no terminal is available.
var ErrNoTerminal = errors.New("no terminal to prompt on")

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
type Prompter struct{ IO *IOStreams }

func (p Prompter) open() (TTY, error) {
	if !p.IO.CanPrompt() {
		return nil, ErrNoTerminal
	}
	return p.IO.OpenTTY()
}

// Secret asks for a value without echo. The terminal is restored if the
// user presses Ctrl-C, and the process then exits with status 130.
func (p Prompter) Secret(prompt string) ([]byte, error) {
	t, err := p.open()
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return readSecret(t, prompt)
}

// NewSecret asks for a new value twice, without echo, and insists they match
// and are not empty.
func (p Prompter) NewSecret(prompt, again string) ([]byte, error) {
	t, err := p.open()
	if err != nil {
		return nil, err
	}
	defer t.Close()
	a, err := readSecret(t, prompt)
	if err != nil {
		return nil, err
	}
	if len(a) == 0 {
		return nil, errors.New("empty passphrase")
	}
	b, err := readSecret(t, again)
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
// afterwards, so the screen keeps no trace of the question either.
func readSecret(t TTY, prompt string) ([]byte, error) {
	fd := int(t.Fd())
	state, err := xterm.GetState(fd)
	if err != nil {
		return nil, err
	}
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sig, os.Interrupt)
	go func() {
		select {
		case <-sig:
			xterm.Restore(fd, state)
			fmt.Fprint(t, eraseLine)
			os.Exit(130)
		case <-done:
		}
	}()
	defer func() {
		signal.Stop(sig)
		close(done)
	}()
	restore, err := echoOff(fd)
	if err != nil {
		// No termios here: let x/term turn echo off after the prompt.
		fmt.Fprint(t, display.Safe(prompt))
		b, err := xterm.ReadPassword(fd)
		fmt.Fprintln(t)
		return b, err
	}
	fmt.Fprint(t, display.Safe(prompt))
	b, err := readLine(t)
	restore()
	fmt.Fprint(t, eraseLine)
	return b, err
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
			return "", err
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
