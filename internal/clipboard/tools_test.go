package clipboard

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestHelpOffersSensitive(t *testing.T) {
	for help, want := range map[string]bool{
		"Usage:\n\twl-copy [options] text...\n\t-o, --paste-once\tOnly serve one paste request and then exit.\n": false,
		"\t-s, --sensitive\tHint that the data is sensitive.\n":                                                  true,
		"  --sensitive, -s   mark as password\n":                                                                 true,
		"  --sensitive=yes\n":                                                                                    true,
		"  --sensitive-data\n":                                                                                   false,
		"":                                                                                                       false,
	} {
		if got := helpOffersSensitive([]byte(help)); got != want {
			t.Errorf("helpOffersSensitive(%q) = %v; want %v", help, got, want)
		}
	}
}

func TestChildEnviron(t *testing.T) {
	t.Setenv("MYSAFE_PASSPHRASE", "hunter2")
	t.Setenv("mysafe_identity", "AGE-SECRET-KEY-1")
	t.Setenv("DISPLAY", ":0")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	t.Setenv("HOME", "/home/someone")
	env := fakeEnv{"linux", map[string]string{"DISPLAY": ":7", "PATH": "/opt/fake/bin"}, nil}.env()
	got := strings.Join(childEnviron(env), "\n") + "\n"
	for _, bad := range []string{"hunter2", "AGE-SECRET-KEY", "DISPLAY=:0", "WAYLAND_DISPLAY="} {
		if strings.Contains(got, bad) {
			t.Errorf("child environment contains %q", bad)
		}
	}
	for _, want := range []string{"\nDISPLAY=:7\n", "\nPATH=/opt/fake/bin\n", "HOME=/home/someone\n"} {
		if !strings.Contains("\n"+got, want) {
			t.Errorf("child environment lacks %q", strings.TrimSpace(want))
		}
	}
}

// fakeTools installs shell scripts named like clipboard tools that keep the
// clipboard in a file and log how they were run: arguments, environment and
// input each in their own file.
func fakeTools(t *testing.T, help string, names ...string) (bin, clip string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake clipboard tools are shell scripts")
	}
	dir := t.TempDir()
	bin = filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	clip = filepath.Join(dir, "clip")
	script := `#!/bin/sh
log='` + dir + `'
clip='` + clip + `'
printf '%s\n' "$*" >> "$log/argv"
env >> "$log/env"
case " $* " in
*" --help "*) printf '%s\n' '` + help + `' ;;
*" -out "*|*" --output "*|*" --no-newline "*) cat "$clip" ;;
*" --clear "*) rm -f "$clip" ;;
*) cat > "$clip.new" && cp "$clip.new" "$log/stdin" && mv "$clip.new" "$clip" ;;
esac
`
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(bin, n), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin, clip
}

// fakeToolEnv is an X11 or Wayland system whose PATH starts with bin.
func fakeToolEnv(t *testing.T, bin string, vars map[string]string) (Env, string) {
	runtimeDir := t.TempDir()
	vars["XDG_RUNTIME_DIR"] = runtimeDir
	vars["PATH"] = bin + string(os.PathListSeparator) + os.Getenv("PATH")
	env := Env{
		Getenv: func(k string) string { return vars[k] },
		LookPath: func(name string) (string, error) {
			p := filepath.Join(bin, name)
			_, err := os.Stat(p)
			return p, err
		},
		GOOS: runtime.GOOS,
		// The fake tools stand for a display server that answers.
		Dial: func(string, string) (net.Conn, error) {
			c, _ := net.Pipe()
			return c, nil
		},
	}
	return env, filepath.Join(runtimeDir, "mysafe")
}

func TestSecretOnlyOnStdin(t *testing.T) {
	bin, clip := fakeTools(t, "", "xclip")
	env, _ := fakeToolEnv(t, bin, map[string]string{"DISPLAY": ":9"})
	t.Setenv("MYSAFE_PASSPHRASE", "vault-pass")
	secret := "sk_live_only_on_stdin"

	res, err := Copy(context.Background(), env, []byte(secret), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{Backend: XClip}) {
		t.Errorf("Result = %+v", res)
	}
	log := filepath.Dir(bin)
	argv, _ := os.ReadFile(filepath.Join(log, "argv"))
	environ, _ := os.ReadFile(filepath.Join(log, "env"))
	stdin, _ := os.ReadFile(filepath.Join(log, "stdin"))
	if strings.Contains(string(argv), secret) || strings.Contains(string(environ), secret) {
		t.Error("the secret reached the tool's arguments or environment")
	}
	if strings.Contains(string(environ), "vault-pass") {
		t.Error("MYSAFE_* variables reached the clipboard tool")
	}
	if !strings.Contains(string(environ), "DISPLAY=:9") {
		t.Error("the tool did not get the display from Env")
	}
	if string(stdin) != secret {
		t.Errorf("the tool read %q on stdin; want the secret", stdin)
	}
	if got, _ := os.ReadFile(clip); string(got) != secret {
		t.Errorf("clipboard holds %q", got)
	}
	if strings.TrimSpace(string(argv)) != "-selection clipboard -in" {
		t.Errorf("xclip ran with %q", argv)
	}
}

func TestWaylandSensitive(t *testing.T) {
	for _, tc := range []struct {
		help string
		want bool
	}{
		{"  -s, --sensitive   hint that the data is a secret", true},
		{"  -o, --paste-once  serve one paste", false},
	} {
		bin, _ := fakeTools(t, tc.help, "wl-copy", "wl-paste")
		env, _ := fakeToolEnv(t, bin, map[string]string{"WAYLAND_DISPLAY": "wayland-9"})
		res, err := Copy(context.Background(), env, []byte("tok"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		argv, _ := os.ReadFile(filepath.Join(filepath.Dir(bin), "argv"))
		lines := strings.Split(strings.TrimSpace(string(argv)), "\n")
		copyLine := lines[len(lines)-1]
		if res.Backend != Wayland || res.Sensitive != tc.want || strings.Contains(copyLine, "--sensitive") != tc.want {
			t.Errorf("help %q: Result %+v, copy ran with %q; want sensitive=%v", tc.help, res, copyLine, tc.want)
		}
	}
}

func TestToolFailureMessage(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell script")
	}
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "xclip"), []byte("#!/bin/sh\necho \"Error: Can't open display: :9\" >&2\nexit 1\n"), 0o755)
	env, _ := fakeToolEnv(t, bin, map[string]string{"DISPLAY": ":9"})
	_, err := Copy(context.Background(), env, []byte("x"), Options{})
	if err == nil || !strings.Contains(err.Error(), "xclip failed") || !strings.Contains(err.Error(), "Can't open display") {
		t.Errorf("error %v; want xclip's own message", err)
	}
}

// TestHelperWithFakeTools runs the whole protocol, detached helper included,
// against the fake tools: it needs no display.
func TestHelperWithFakeTools(t *testing.T) {
	bin, clip := fakeTools(t, "", "xsel")
	env, stateDir := fakeToolEnv(t, bin, map[string]string{"DISPLAY": ":9"})
	ctx := context.Background()

	res, helper, err := copyData(ctx, env, []byte("tok-1"), Options{ClearAfter: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.ClearScheduled || res.ClearAfter != 200*time.Millisecond {
		t.Errorf("Result = %+v; want a scheduled clear", res)
	}
	if o := waitHelper(t, helper, stateDir); o != cleared {
		t.Fatalf("helper: %v; want cleared; log:\n%s", o, helperLog(stateDir))
	}
	if _, err := os.Stat(clip); !os.IsNotExist(err) {
		t.Error("xsel --clear did not run")
	}
	argv, _ := os.ReadFile(filepath.Join(filepath.Dir(bin), "argv"))
	if strings.Contains(string(argv), "tok-1") {
		t.Error("the secret reached a tool's arguments")
	}

	// Zero never clears, and a failing helper start copies nothing.
	res, helper, err = copyData(ctx, env, []byte("tok-2"), Options{})
	if err != nil || res.ClearScheduled || helper != nil {
		t.Errorf("ClearAfter 0: %+v, helper %v, %v; want no helper", res, helper, err)
	}
	_, _, err = copyData(ctx, env, []byte("tok-3"), Options{ClearAfter: time.Second, HelperCommand: []string{filepath.Join(bin, "no-such-helper")}})
	if err == nil || !strings.Contains(err.Error(), "nothing was copied") {
		t.Errorf("copy with a missing helper: %v", err)
	}
	if got, _ := os.ReadFile(clip); string(got) != "tok-2" {
		t.Errorf("clipboard holds %q after a failed copy; want the earlier tok-2", got)
	}
}

func TestLimitedBuffer(t *testing.T) {
	strict := limitedBuffer{max: 4, strict: true}
	if _, err := strict.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Write([]byte("de")); err == nil {
		t.Error("a strict buffer grew past its limit")
	}
	lax := limitedBuffer{max: 4}
	if n, err := lax.Write([]byte("abcdef")); n != 6 || err != nil || lax.String() != "abcd" {
		t.Errorf("lax buffer: %d, %v, %q", n, err, lax.String())
	}
}
