package clipboard

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/clipboard/xvfbtest"
)

// These tests drive a real X server (Xvfb) with the real xclip and xsel, and
// the real detached helper: the test binary itself, through TestMain.

// startXvfb starts a private X server and returns its display.
func startXvfb(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("X11 clipboard tests run where X11 is the clipboard")
	}
	return xvfbtest.Start(t)
}

// xEnv is the system with the given display, a private runtime directory,
// and the named tools hidden from the PATH lookups.
func xEnv(t *testing.T, display string, hide ...string) (Env, string) {
	runtimeDir := t.TempDir()
	sys := SystemEnv()
	env := Env{
		Getenv: func(k string) string {
			switch k {
			case "DISPLAY":
				return display
			case "WAYLAND_DISPLAY":
				return ""
			case "XDG_RUNTIME_DIR":
				return runtimeDir
			}
			return sys.Getenv(k)
		},
		LookPath: func(name string) (string, error) {
			for _, h := range hide {
				if h == name {
					return "", errors.New("hidden by the test")
				}
			}
			return sys.LookPath(name)
		},
		GOOS: runtime.GOOS,
	}
	return env, filepath.Join(runtimeDir, "mysafe")
}

// xClipboard reads the CLIPBOARD selection with xclip. An empty or
// ownerless clipboard reads as "".
func xClipboard(t *testing.T, display string) string {
	t.Helper()
	cmd := exec.Command("xclip", "-selection", "clipboard", "-o")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// xSetClipboard puts text on the clipboard the way another program would.
func xSetClipboard(t *testing.T, display, text string) {
	t.Helper()
	cmd := exec.Command("xclip", "-selection", "clipboard", "-i")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	cmd.Stdin = strings.NewReader(text)
	// No pipes: xclip's background process would hold them open.
	if err := cmd.Run(); err != nil {
		t.Fatalf("xclip -i: %v", err)
	}
	waitClipboard(t, display, text)
}

// waitClipboard polls until the clipboard reads want, with a generous
// deadline: taking the selection over is asynchronous.
func waitClipboard(t *testing.T, display, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := xClipboard(t, display)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("clipboard holds %q; want %q", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestX11CopyAndClear(t *testing.T) {
	display := startXvfb(t)
	for _, tc := range []struct {
		backend Backend
		hide    []string
	}{
		{XClip, nil},
		{XSel, []string{"xclip"}},
	} {
		t.Run(string(tc.backend), func(t *testing.T) {
			xvfbtest.Require(t, string(tc.backend))
			env, stateDir := xEnv(t, display, tc.hide...)
			secret := "sk_live_" + string(tc.backend) + "_é✓"
			res, helper, err := copyData(context.Background(), env, []byte(secret), Options{ClearAfter: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Backend != tc.backend || !res.ClearScheduled || res.Sensitive {
				t.Errorf("Result = %+v; want %s, clear scheduled, not marked sensitive", res, tc.backend)
			}
			waitClipboard(t, display, secret)
			if o := waitHelper(t, helper, stateDir); o != cleared {
				t.Fatalf("helper: %v; want cleared; log:\n%s", o, helperLog(stateDir))
			}
			if got := xClipboard(t, display); got != "" {
				t.Errorf("clipboard holds %q after the clear", got)
			}
		})
	}
}

func TestX11LeavesNewerContentAlone(t *testing.T) {
	display := startXvfb(t)
	env, stateDir := xEnv(t, display)
	_, helper, err := copyData(context.Background(), env, []byte("sk_test_replaced"), Options{ClearAfter: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waitClipboard(t, display, "sk_test_replaced")
	xSetClipboard(t, display, "the user's own text")
	if o := waitHelper(t, helper, stateDir); o != changed {
		t.Fatalf("helper: %v; want changed; log:\n%s", o, helperLog(stateDir))
	}
	if got := xClipboard(t, display); got != "the user's own text" {
		t.Errorf("clipboard holds %q; the helper must leave the user's content alone", got)
	}
}

func TestX11CopyAgainRestartsTimer(t *testing.T) {
	display := startXvfb(t)
	env, stateDir := xEnv(t, display)
	ctx := context.Background()
	const delay = 2 * time.Second
	secret := []byte("sk_test_twice")

	_, first, err := copyData(ctx, env, secret, Options{ClearAfter: delay})
	if err != nil {
		t.Fatal(err)
	}
	// Copy the same secret again a second later: its clear is due a
	// second after the first one's.
	time.Sleep(time.Second)
	_, second, err := copyData(ctx, env, secret, Options{ClearAfter: delay})
	if err != nil {
		t.Fatal(err)
	}

	if o := waitHelper(t, first, stateDir); o != superseded {
		t.Fatalf("first helper: %v; want superseded; log:\n%s", o, helperLog(stateDir))
	}
	if got := xClipboard(t, display); got != string(secret) {
		t.Fatalf("clipboard holds %q when the first delay ran out; the second copy restarted the timer", got)
	}
	if o := waitHelper(t, second, stateDir); o != cleared {
		t.Fatalf("second helper: %v; want cleared; log:\n%s", o, helperLog(stateDir))
	}
	if got := xClipboard(t, display); got != "" {
		t.Errorf("clipboard holds %q after the second delay", got)
	}
}

func TestX11CopyWithoutClearCancelsPendingClear(t *testing.T) {
	display := startXvfb(t)
	env, stateDir := xEnv(t, display)
	ctx := context.Background()
	_, pending, err := copyData(ctx, env, []byte("sk_test_keep"), Options{ClearAfter: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, none, err := copyData(ctx, env, []byte("sk_test_keep"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if none != nil || res.ClearScheduled {
		t.Fatalf("ClearAfter 0 scheduled a clear: %+v", res)
	}
	if o := waitHelper(t, pending, stateDir); o != superseded {
		t.Fatalf("pending helper: %v; want superseded; log:\n%s", o, helperLog(stateDir))
	}
	if got := xClipboard(t, display); got != "sk_test_keep" {
		t.Errorf("clipboard holds %q; the last copy asked never to clear", got)
	}
}

// TestX11DefaultHelperCommand goes through Copy exactly as mysafe does: the
// helper is os.Executable() with HelperArg, released, not waited for.
func TestX11DefaultHelperCommand(t *testing.T) {
	display := startXvfb(t)
	env, stateDir := xEnv(t, display)
	res, err := Copy(context.Background(), env, []byte("sk_test_released"), Options{ClearAfter: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.ClearScheduled {
		t.Fatalf("Result = %+v", res)
	}
	waitClipboard(t, display, "sk_test_released")
	waitClipboard(t, display, "")
	// The helper writes its log last; wait for it so the runtime directory
	// is not removed under its feet.
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(helperLog(stateDir), "outcome") {
		if time.Now().After(deadline) {
			t.Fatal("the helper left no log")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
