package clipboard

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestX11Addrs(t *testing.T) {
	for _, tc := range []struct {
		display, goos string
		want          []string
	}{
		{":0", "linux", []string{"unix /tmp/.X11-unix/X0", "unix @/tmp/.X11-unix/X0"}},
		{":1.0", "freebsd", []string{"unix /tmp/.X11-unix/X1"}},
		{"unix:7", "openbsd", []string{"unix /tmp/.X11-unix/X7"}},
		{"localhost:10.0", "linux", []string{"tcp localhost:6010"}},
		{"[::1]:2", "linux", []string{"tcp [::1]:6002"}},
		{"/private/tmp/com.apple.launchd.x/org.xquartz:0", "darwin", []string{"unix /private/tmp/com.apple.launchd.x/org.xquartz:0"}},
		{"nonsense", "linux", nil},
		{":x", "linux", nil},
		{"host::0", "linux", nil},
	} {
		var got []string
		for _, a := range x11Addrs(tc.display, tc.goos) {
			got = append(got, a.Network()+" "+a.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("x11Addrs(%q) = %q, want %q", tc.display, got, tc.want)
		}
	}
}

// realEnv is a Linux system with these variables, a private runtime
// folder, the clipboard tools of this machine's PATH, and real connections
// to display servers.
func realEnv(t *testing.T, vars map[string]string) Env {
	vars["XDG_RUNTIME_DIR"] = t.TempDir()
	return Env{
		Getenv:   func(k string) string { return vars[k] },
		LookPath: exec.LookPath,
		GOOS:     "linux",
	}
}

// A display server that does not answer makes the copy fail with
// ErrUnavailable and a message that names the display, whatever the
// tool said (or if it is not installed at all).
func TestCopyToADeadDisplay(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fake tools are shell scripts")
	}
	// A TCP display whose port nobody listens on: take a free port and
	// close it again.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if port < 6000 {
		t.Skipf("free port %d cannot be an X display", port)
	}
	dead := "127.0.0.1:" + strconv.Itoa(port-6000)
	// Tools that fail as xclip and wl-copy do without a display.
	bin := t.TempDir()
	for _, tool := range []string{"xclip", "wl-copy", "wl-paste"} {
		script := "#!/bin/sh\necho \"Error: Can't open display\" >&2\nexit 1\n"
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"x11 over tcp", map[string]string{"DISPLAY": dead}, "cannot reach the X display " + dead + " (connect: connection refused)"},
		{"x11 socket", map[string]string{"DISPLAY": ":4711"}, "cannot reach the X display :4711 ("},
		{"wayland", map[string]string{"WAYLAND_DISPLAY": "wayland-77"}, "cannot reach the Wayland display wayland-77 (connect: no such file or directory)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := realEnv(t, tc.vars)
			env.LookPath = func(name string) (string, error) { return filepath.Join(bin, name), nil }
			for _, clear := range []time.Duration{0, time.Minute} {
				_, helper, err := copyData(t.Context(), env, []byte("x"), Options{ClearAfter: clear, HelperCommand: []string{"sh", "-c", "cat >/dev/null"}})
				if helper != nil {
					helper.Wait()
				}
				if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--osc52") {
					t.Fatalf("Copy = %v, want ErrUnavailable saying %q", err, tc.want)
				}
			}
		})
	}
}

func TestReachable(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	port := tcp.Addr().(*net.TCPAddr).Port
	if port < 6000 {
		t.Skipf("port %d cannot be an X display", port)
	}
	runtimeDir := t.TempDir()
	wl, err := net.Listen("unix", filepath.Join(runtimeDir, "wayland-5"))
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	for _, tc := range []struct {
		b    Backend
		vars map[string]string
		ok   bool
	}{
		{XClip, map[string]string{"DISPLAY": "127.0.0.1:" + strconv.Itoa(port-6000)}, true},
		{XSel, map[string]string{"DISPLAY": "127.0.0.1:" + strconv.Itoa(port-6000)}, true},
		{Wayland, map[string]string{"WAYLAND_DISPLAY": "wayland-5", "XDG_RUNTIME_DIR": runtimeDir}, true},
		{Wayland, map[string]string{"WAYLAND_DISPLAY": filepath.Join(runtimeDir, "wayland-5")}, true},
		{XClip, map[string]string{"DISPLAY": "not a display"}, true}, // left to the tool
		{Wayland, map[string]string{"WAYLAND_DISPLAY": "wayland-6", "XDG_RUNTIME_DIR": runtimeDir}, false},
		{XClip, map[string]string{"DISPLAY": ":4711"}, false},
	} {
		env := Env{Getenv: func(k string) string { return tc.vars[k] }, GOOS: "linux"}.withDefaults()
		if err := reachable(env, tc.b); (err == nil) != tc.ok {
			t.Errorf("reachable(%s, %v) = %v, want ok %v", tc.b, tc.vars, err, tc.ok)
		}
	}
}
