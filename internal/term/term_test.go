package term

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadSecretLine(t *testing.T) {
	const max = 8
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "s3cr3t", "s3cr3t"},
		{"newline dropped", "s3cr3t\n", "s3cr3t"},
		{"CRLF dropped", "s3cr3t\r\n", "s3cr3t"},
		{"only one newline dropped", "s3cr3t\n\n", "s3cr3t\n"},
		{"inner newlines kept", "a\nb\n", "a\nb"},
		{"blanks kept", " s3 \t\n", " s3 \t"},
		{"empty", "", ""},
		{"just a newline", "\n", ""},
		{"a lone CR is part of the value", "s3cr3t\r", "s3cr3t\r"},
		{"max bytes", "12345678", "12345678"},
		{"max bytes and a newline", "12345678\n", "12345678"},
		{"max bytes and CRLF", "12345678\r\n", "12345678"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSecretLine(strings.NewReader(tc.in), max)
			if err != nil || string(got) != tc.want {
				t.Errorf("ReadSecretLine(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestReadSecretLineTooLong(t *testing.T) {
	const max = 8
	for _, in := range []string{"123456789", "1234567890", "12345678901", "123456789\n", strings.Repeat("x", 1000)} {
		if got, err := ReadSecretLine(strings.NewReader(in), max); err == nil {
			t.Errorf("ReadSecretLine(%d bytes, max %d) = %q, want an error", len(in), max, got)
		} else if strings.Contains(err.Error(), "x") || strings.Contains(err.Error(), "123") {
			t.Errorf("the error quotes the input: %v", err)
		}
	}
}

// An endless source (a device, a FIFO that never closes) does not make it
// read forever or buffer without bound.
func TestReadSecretLineBounded(t *testing.T) {
	r := &countingReader{}
	if _, err := ReadSecretLine(r, 64); err == nil {
		t.Error("an endless input was accepted")
	}
	if r.n > 64<<10 {
		t.Errorf("read %d bytes for a 64-byte limit", r.n)
	}
}

type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	r.n += len(p)
	return len(p), nil
}

func TestReadSecretLineError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := ReadSecretLine(iotest.ErrReader(boom), 8); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
	if got, err := ReadSecretLine(iotest.OneByteReader(strings.NewReader("ab\n")), 8); err != nil || string(got) != "ab" {
		t.Errorf("one byte at a time: %q, %v", got, err)
	}
}

// fakeTTY is a terminal for prompts that need no terminal settings.
type fakeTTY struct {
	in  io.Reader
	out *bytes.Buffer
}

func (f *fakeTTY) Read(p []byte) (int, error)  { return f.in.Read(p) }
func (f *fakeTTY) Write(p []byte) (int, error) { return f.out.Write(p) }
func (f *fakeTTY) Close() error                { return nil }
func (f *fakeTTY) Fd() uintptr                 { return ^uintptr(0) }

func streamsWith(in io.Reader, out *bytes.Buffer) *IOStreams {
	return &IOStreams{StdinTTY: true, OpenTTY: func() (TTY, error) { return &fakeTTY{in: in, out: out}, nil }}
}

func TestCanPrompt(t *testing.T) {
	ok := func() (TTY, error) { return &fakeTTY{in: strings.NewReader(""), out: new(bytes.Buffer)}, nil }
	fail := func() (TTY, error) { return nil, errors.New("no tty") }
	for _, tc := range []struct {
		name string
		s    IOStreams
		want bool
	}{
		{"stdin is a terminal", IOStreams{StdinTTY: true, OpenTTY: ok}, true},
		{"stderr is a terminal", IOStreams{StderrTTY: true, OpenTTY: ok}, true},
		{"only stdout is a terminal", IOStreams{StdoutTTY: true, OpenTTY: ok}, false},
		{"no-input", IOStreams{StdinTTY: true, OpenTTY: ok, NoInput: true}, false},
		{"no controlling terminal", IOStreams{StdinTTY: true, OpenTTY: fail}, false},
		{"no way to open one", IOStreams{StdinTTY: true}, false},
	} {
		if got := tc.s.CanPrompt(); got != tc.want {
			t.Errorf("%s: CanPrompt = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPromptsWithoutTerminal(t *testing.T) {
	p := Prompter{IO: &IOStreams{StdinTTY: true, NoInput: true}}
	if _, err := p.Secret("Passphrase: "); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("Secret: %v", err)
	}
	if _, err := p.NewSecret("New: ", "Again: "); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("NewSecret: %v", err)
	}
	if _, err := p.Line("Name: "); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("Line: %v", err)
	}
	if _, err := p.Confirm("Remove?"); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("Confirm: %v", err)
	}
}

func TestLine(t *testing.T) {
	in := strings.NewReader("  payments \r\nrest\n")
	var out bytes.Buffer
	p := Prompter{IO: streamsWith(in, &out)}
	got, err := p.Line("Name: ")
	if err != nil || got != "payments" {
		t.Errorf("Line = %q, %v", got, err)
	}
	if out.String() != "Name: " {
		t.Errorf("prompt = %q", out.String())
	}
	// Nothing past the newline was consumed: the next question gets it.
	if got, err := p.Line("Next: "); err != nil || got != "rest" {
		t.Errorf("second Line = %q, %v", got, err)
	}
	// An answer cut short by EOF counts; no answer at all is an error.
	p = Prompter{IO: streamsWith(strings.NewReader("partial"), &out)}
	if got, err := p.Line("Q: "); err != nil || got != "partial" {
		t.Errorf("Line at EOF = %q, %v", got, err)
	}
	p = Prompter{IO: streamsWith(strings.NewReader(""), &out)}
	if _, err := p.Line("Q: "); !errors.Is(err, io.EOF) {
		t.Errorf("Line with no input = %v, want EOF", err)
	}
}

func TestConfirm(t *testing.T) {
	for answer, want := range map[string]bool{
		"y\n": true, "Y\n": true, "yes\n": true, " YES \n": true,
		"n\n": false, "\n": false, "no\n": false, "yep\n": false, "yes please\n": false, "ja\n": false,
	} {
		var out bytes.Buffer
		p := Prompter{IO: streamsWith(strings.NewReader(answer), &out)}
		got, err := p.Confirm("Remove payments?")
		if err != nil || got != want {
			t.Errorf("Confirm(%q) = %v, %v; want %v", answer, got, err, want)
		}
		if out.String() != "Remove payments? [y/N] " {
			t.Errorf("prompt = %q", out.String())
		}
	}
}

// A prompt names things from the vault (a record's name, the vault's path):
// it reaches the terminal escaped.
func TestPromptEscaped(t *testing.T) {
	var out bytes.Buffer
	p := Prompter{IO: streamsWith(strings.NewReader("n\n"), &out)}
	if _, err := p.Confirm("Remove pay\x1b]52;c;aGk=\x07\u202e?"); err != nil {
		t.Fatal(err)
	}
	if want := `Remove pay\x1b]52;c;aGk=\x07\u202e? [y/N] `; out.String() != want {
		t.Errorf("prompt = %q, want %q", out.String(), want)
	}
}
