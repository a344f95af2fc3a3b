package clipboard

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	tty := io.Discard
	x := map[string]string{"DISPLAY": ":0"}
	wl := map[string]string{"WAYLAND_DISPLAY": "wayland-0"}
	both := map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
	ssh := map[string]string{"SSH_CONNECTION": "10.0.0.2 5555 10.0.0.1 22"}
	tests := []struct {
		name    string
		sys     fakeEnv
		opts    Options
		want    Backend
		wantErr []string // substrings of an ErrUnavailable error
	}{
		{"x11 xclip", fakeEnv{"linux", x, []string{"xclip", "xsel"}}, Options{}, XClip, nil},
		{"x11 xsel when no xclip", fakeEnv{"linux", x, []string{"xsel"}}, Options{}, XSel, nil},
		{"wayland first", fakeEnv{"linux", both, []string{"wl-copy", "wl-paste", "xclip"}}, Options{}, Wayland, nil},
		{"xwayland when wl-clipboard is missing", fakeEnv{"linux", both, []string{"xclip"}}, Options{}, XClip, nil},
		{"wayland needs wl-paste too", fakeEnv{"linux", wl, []string{"wl-copy"}}, Options{Terminal: tty}, "", []string{"install wl-clipboard", "--osc52", "mysafe reveal"}},
		{"no display with a terminal", fakeEnv{"linux", nil, []string{"xclip"}}, Options{Terminal: tty}, OSC52, nil},
		{"no display, no terminal", fakeEnv{"linux", nil, []string{"xclip"}}, Options{}, "", []string{"no display", "mysafe reveal"}},
		{"display without tools", fakeEnv{"linux", x, nil}, Options{Terminal: tty}, "", []string{"install xclip or xsel", "--osc52", "mysafe reveal"}},
		{"both displays without tools", fakeEnv{"linux", both, nil}, Options{}, "", []string{"install wl-clipboard", "xclip or xsel"}},
		{"osc52 asked for", fakeEnv{"linux", x, []string{"xclip"}}, Options{OSC52: true, Terminal: tty}, OSC52, nil},
		{"osc52 without a terminal", fakeEnv{"linux", x, []string{"xclip"}}, Options{OSC52: true}, "", []string{"needs a terminal", "mysafe reveal"}},
		{"freebsd x11", fakeEnv{"freebsd", x, []string{"xsel"}}, Options{}, XSel, nil},
		{"macos", fakeEnv{"darwin", nil, []string{"pbcopy", "pbpaste"}}, Options{Terminal: tty}, Pasteboard, nil},
		{"macos over ssh", fakeEnv{"darwin", ssh, []string{"pbcopy", "pbpaste"}}, Options{Terminal: tty}, OSC52, nil},
		{"macos over ssh without a terminal", fakeEnv{"darwin", ssh, []string{"pbcopy", "pbpaste"}}, Options{}, Pasteboard, nil},
		{"macos ignores DISPLAY", fakeEnv{"darwin", x, []string{"xclip", "pbcopy", "pbpaste"}}, Options{}, Pasteboard, nil},
		{"macos without pbpaste", fakeEnv{"darwin", nil, []string{"pbcopy"}}, Options{}, "", []string{"pbpaste", "--osc52"}},
		{"windows powershell", fakeEnv{"windows", nil, []string{"powershell.exe"}}, Options{}, PowerShell, nil},
		{"windows pwsh only", fakeEnv{"windows", nil, []string{"pwsh.exe"}}, Options{}, PowerShell, nil},
		{"windows over ssh", fakeEnv{"windows", ssh, []string{"powershell.exe"}}, Options{Terminal: tty}, OSC52, nil},
		{"windows without powershell", fakeEnv{"windows", nil, nil}, Options{}, "", []string{"powershell.exe", "mysafe reveal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.sys.env(), tt.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("Select = %q, %v; want an error wrapping ErrUnavailable", got, err)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Select = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestUnavailableMessageStyle(t *testing.T) {
	_, err := Select(fakeEnv{"linux", map[string]string{"DISPLAY": ":0"}, nil}.env(), Options{})
	msg := err.Error()
	if !strings.HasPrefix(msg, "no clipboard available: ") || strings.HasSuffix(msg, ".") {
		t.Errorf("message %q: want the sentinel's text first and no trailing period", msg)
	}
}

func TestBackendCanClear(t *testing.T) {
	for _, b := range []Backend{Wayland, XClip, XSel, Pasteboard, PowerShell} {
		if !b.CanClear() {
			t.Errorf("%s.CanClear() = false", b)
		}
	}
	for _, b := range []Backend{OSC52, "", "clip.exe"} {
		if b.CanClear() {
			t.Errorf("%q.CanClear() = true", string(b))
		}
	}
}
