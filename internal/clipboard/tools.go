package clipboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// toolTimeout bounds every run of a clipboard tool. A selection owner that
// never answers must not hang a copy or a clear forever.
const toolTimeout = 10 * time.Second

// maxRead bounds what the helper reads back from the clipboard. Content
// larger than that is not a copied secret, so reading fails and the
// clipboard is left alone, without holding a huge image or log in memory.
const maxRead = 16 << 20

// board is a clipboard the clear helper can read and clear. The real one runs
// the backend's tools; tests use a fake.
type board interface {
	// read returns the clipboard's text content. An error means it could
	// not be read, which includes "the clipboard is empty" for some tools.
	read(ctx context.Context) ([]byte, error)
	// clear replaces the content with nothing.
	clear(ctx context.Context) error
}

// systemBoard drives one backend's command-line tools. Each field is a full
// command line whose first element is the resolved program path; none of
// them ever carries the data, which goes through standard input.
type systemBoard struct {
	backend Backend
	env     Env
	// copyCmd reads the data on stdin and puts it on the clipboard.
	copyCmd []string
	// pasteCmd prints the clipboard's content on stdout.
	pasteCmd []string
	// clearCmd empties the clipboard; nil means copyCmd with empty input.
	clearCmd []string
	// forks reports that copyCmd leaves a background process serving the
	// clipboard, which inherits stdout and stderr.
	forks bool
	// sensitive reports that copyCmd marks the content as a secret.
	sensitive bool
}

// PowerShell scripts for the Windows clipboard. They go through -Command as
// fixed text: the data comes through stdin as UTF-8 bytes, so the console
// code page plays no part. The copy offers, besides the text, the formats
// that keep it out of clipboard history, cloud clipboard and clipboard
// monitors (the convention password managers on Windows follow).
const (
	psPrelude  = "$ErrorActionPreference = 'Stop'; Add-Type -AssemblyName System.Windows.Forms; "
	psCopyBody = "$in = [Console]::OpenStandardInput(); $buf = New-Object System.IO.MemoryStream; $in.CopyTo($buf); " +
		"$text = [System.Text.Encoding]::UTF8.GetString($buf.ToArray()); " +
		"$data = New-Object System.Windows.Forms.DataObject; " +
		"$data.SetText($text, [System.Windows.Forms.TextDataFormat]::UnicodeText); " +
		"$zero = [BitConverter]::GetBytes([int32]0); " +
		"$data.SetData('ExcludeClipboardContentFromMonitorProcessing', [System.IO.MemoryStream]::new($zero)); " +
		"$data.SetData('CanIncludeInClipboardHistory', [System.IO.MemoryStream]::new($zero)); " +
		"$data.SetData('CanUploadToCloudClipboard', [System.IO.MemoryStream]::new($zero)); " +
		"[System.Windows.Forms.Clipboard]::SetDataObject($data, $true)"
	psPasteBody = "$bytes = [System.Text.Encoding]::UTF8.GetBytes([System.Windows.Forms.Clipboard]::GetText()); " +
		"$out = [Console]::OpenStandardOutput(); $out.Write($bytes, 0, $bytes.Length); $out.Flush()"
	psClearBody = "[System.Windows.Forms.Clipboard]::Clear()"
)

// newSystemBoard resolves the tools of backend b. It fails with an error
// wrapping ErrUnavailable when one is missing, which in the helper means the
// PATH changed since the copy.
func newSystemBoard(env Env, b Backend) (*systemBoard, error) {
	env = env.withDefaults()
	look := func(name string) (string, error) {
		p, err := env.LookPath(name)
		if err != nil {
			return "", unavailable(fmt.Sprintf("%s was not found on the PATH", name))
		}
		return p, nil
	}
	sb := &systemBoard{backend: b, env: env}
	switch b {
	case Wayland:
		cp, err := look("wl-copy")
		if err != nil {
			return nil, err
		}
		ps, err := look("wl-paste")
		if err != nil {
			return nil, err
		}
		// An explicit type stops wl-copy from guessing one from the
		// content; text/plain makes it offer every usual text target.
		sb.copyCmd = []string{cp, "--type", "text/plain"}
		sb.pasteCmd = []string{ps, "--no-newline"}
		sb.clearCmd = []string{cp, "--clear"}
		sb.forks = true
	case XClip:
		p, err := look("xclip")
		if err != nil {
			return nil, err
		}
		sb.copyCmd = []string{p, "-selection", "clipboard", "-in"}
		sb.pasteCmd = []string{p, "-selection", "clipboard", "-out"}
		// No clearCmd: xclip cannot drop the selection, only own it with
		// empty content. That is the better clear anyway: a clipboard
		// manager that refills an ownerless clipboard from its history
		// would bring the secret right back.
		sb.forks = true
	case XSel:
		p, err := look("xsel")
		if err != nil {
			return nil, err
		}
		sb.copyCmd = []string{p, "--clipboard", "--input"}
		sb.pasteCmd = []string{p, "--clipboard", "--output"}
		// xsel treats empty input as --clear, so say so.
		sb.clearCmd = []string{p, "--clipboard", "--clear"}
		sb.forks = true
	case Pasteboard:
		cp, err := look("pbcopy")
		if err != nil {
			return nil, err
		}
		ps, err := look("pbpaste")
		if err != nil {
			return nil, err
		}
		sb.copyCmd = []string{cp}
		sb.pasteCmd = []string{ps}
	case PowerShell:
		p, err := powershellPath(env)
		if err != nil {
			return nil, unavailable("neither powershell.exe nor pwsh.exe was found")
		}
		ps := func(body string) []string {
			return []string{p, "-NoLogo", "-NoProfile", "-NonInteractive", "-STA", "-Command", psPrelude + body}
		}
		sb.copyCmd = ps(psCopyBody)
		sb.pasteCmd = ps(psPasteBody)
		sb.clearCmd = ps(psClearBody)
		sb.sensitive = true
	default:
		return nil, fmt.Errorf("clipboard backend %q cannot be driven by a tool", string(b))
	}
	return sb, nil
}

// copy puts data on the clipboard and reports whether it was marked as a
// secret.
func (sb *systemBoard) copy(ctx context.Context, data []byte) (bool, error) {
	cmd := sb.copyCmd
	sensitive := sb.sensitive
	if sb.backend == Wayland && sb.waylandSensitive(ctx) {
		cmd = append(cmd[:len(cmd):len(cmd)], "--sensitive")
		sensitive = true
	}
	if _, err := sb.run(ctx, cmd, data, sb.forks); err != nil {
		return false, err
	}
	return sensitive, nil
}

func (sb *systemBoard) read(ctx context.Context) ([]byte, error) {
	return sb.run(ctx, sb.pasteCmd, nil, false)
}

func (sb *systemBoard) clear(ctx context.Context) error {
	if sb.clearCmd != nil {
		_, err := sb.run(ctx, sb.clearCmd, nil, sb.forks)
		return err
	}
	_, err := sb.run(ctx, sb.copyCmd, nil, sb.forks)
	return err
}

// waylandSensitive reports whether this wl-copy accepts --sensitive, which
// offers the x-kde-passwordManagerHint target beside the text so clipboard
// managers keep it out of their history. Older versions reject the flag, so
// the help text decides.
func (sb *systemBoard) waylandSensitive(ctx context.Context) bool {
	out, _ := sb.run(ctx, []string{sb.copyCmd[0], "--help"}, nil, false)
	return helpOffersSensitive(out)
}

// helpOffersSensitive reports whether a wl-copy help text lists --sensitive.
func helpOffersSensitive(help []byte) bool {
	for _, f := range bytes.Fields(help) {
		f, _, _ = bytes.Cut(f, []byte("="))
		if string(bytes.TrimRight(f, ",;")) == "--sensitive" {
			return true
		}
	}
	return false
}

// run runs one tool with stdin as its input, and returns what it printed when
// forks is false.
//
// A tool that forks (xclip, xsel, wl-copy) leaves a process behind that
// inherits stdout and stderr and lives until the clipboard changes; a pipe
// there would keep Wait blocked all that time. So for those, stdout is the
// null device and stderr a temporary file, unlinked as soon as the tool has
// started and read only when it fails. It holds the tool's messages, never
// the data.
func (sb *systemBoard) run(ctx context.Context, argv []string, stdin []byte, forks bool) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = childEnviron(sb.env)
	cmd.SysProcAttr = toolAttr()
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.WaitDelay = time.Second

	stdout := limitedBuffer{max: maxRead, strict: true}
	stderr := limitedBuffer{max: 4096}
	var errFile *os.File
	if forks {
		f, err := os.CreateTemp("", "mysafe-clipboard-*.log")
		if err != nil {
			return nil, fmt.Errorf("cannot run %s: %w", filepath.Base(argv[0]), err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		errFile = f
		cmd.Stderr = f
	} else {
		cmd.Stdout = &stdout
		cmd.Stderr = &stderr
	}

	err := cmd.Start()
	if err == nil {
		if errFile != nil {
			// Unlink now (where the system allows it): the file lives
			// on only as the tools' open stderr.
			_ = os.Remove(errFile.Name())
		}
		err = cmd.Wait()
	}
	if err == nil || (errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success()) {
		return stdout.Bytes(), nil
	}
	msg := stderr.Bytes()
	if errFile != nil {
		msg = make([]byte, 512)
		n, _ := errFile.ReadAt(msg, 0)
		msg = msg[:n]
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (no answer within %v)", err, toolTimeout)
	}
	if m := firstLine(msg); m != "" {
		return nil, fmt.Errorf("%s failed: %w: %s", filepath.Base(argv[0]), err, m)
	}
	return nil, fmt.Errorf("%s failed: %w", filepath.Base(argv[0]), err)
}

// firstLine returns the first non-blank line of a tool's error output, cut
// to a reasonable length.
func firstLine(b []byte) string {
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(line) > 200 {
			line = line[:200] + "..."
		}
		return line
	}
	return ""
}

// childEnviron is the environment of every process the package starts: the
// process environment without MYSAFE_* variables (which may hold a
// passphrase or an identity, and a clipboard tool may live for hours), with
// the display variables taken from env, so the tools and the helper reach
// the clipboard env describes, and with env's PATH when it has one, so the
// helper finds the tools the copy used.
func childEnviron(env Env) []string {
	display := []string{"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_RUNTIME_DIR"}
	path := env.Getenv("PATH")
	base := os.Environ()
	out := make([]string, 0, len(base)+len(display)+1)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(strings.ToUpper(k), "MYSAFE_"),
			containsFold(display, k),
			path != "" && strings.EqualFold(k, "PATH"):
			continue
		}
		out = append(out, kv)
	}
	for _, k := range display {
		if v := env.Getenv(k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	if path != "" {
		out = append(out, "PATH="+path)
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// limitedBuffer is a bytes.Buffer that does not grow past max. Past it, a
// strict buffer fails the write (and so the tool's run), and a lax one drops
// the rest quietly.
type limitedBuffer struct {
	bytes.Buffer
	max    int
	strict bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	room := b.max - b.Len()
	if len(p) <= room {
		return b.Buffer.Write(p)
	}
	if b.strict {
		return 0, errors.New("output too large")
	}
	b.Buffer.Write(p[:max(room, 0)])
	return len(p), nil
}
