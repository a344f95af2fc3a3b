package clipboard

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// memBoard is a clipboard in memory.
type memBoard struct {
	content []byte
	readErr error
	clears  int
}

func (m *memBoard) read(context.Context) ([]byte, error) { return m.content, m.readErr }
func (m *memBoard) clear(context.Context) error {
	m.content = nil
	m.clears++
	return nil
}

// testState returns a clipboard state in a fresh runtime directory.
func testState(t *testing.T) (Env, state) {
	t.Helper()
	runtimeDir := t.TempDir()
	env := fakeEnv{"linux", map[string]string{"DISPLAY": ":42", "XDG_RUNTIME_DIR": runtimeDir}, nil}.env()
	st, err := stateFor(env, XClip)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.prepare(); err != nil {
		t.Fatal(err)
	}
	return env, st
}

// copyToken plays the part of Copy for the state files: claim, and return
// a request for data as Copy would send it.
func copyToken(t *testing.T, env Env, data string, at time.Time) clearRequest {
	t.Helper()
	c, err := claim(context.Background(), env, XClip)
	if err != nil {
		t.Fatal(err)
	}
	defer c.unlock()
	req, err := newClearRequest(XClip, []byte(data), c.token, c.state, at)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestRequestCarriesNoSecret(t *testing.T) {
	_, st := testState(t)
	secret := "sk_live_51HxQ2eZvKYlo2C0aBcDeFgHiJkL"
	req, err := newClearRequest(XClip, []byte(secret), strings.Repeat("ab", 32), st, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := encodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{secret, secret[8:20], "sk_live"} {
		if bytes.Contains(msg, []byte(part)) {
			t.Errorf("the helper request contains %q: %s", part, msg)
		}
	}
	got, err := decodeRequest(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("decoding our own request: %v", err)
	}
	if !got.holds([]byte(secret)) || got.holds([]byte(secret+"x")) {
		t.Error("the decoded request does not recognise the secret, or recognises another")
	}
}

func TestRequestSaltsDiffer(t *testing.T) {
	_, st := testState(t)
	at := time.Now().Add(time.Minute)
	a, _ := newClearRequest(XClip, []byte("same"), strings.Repeat("ab", 32), st, at)
	b, _ := newClearRequest(XClip, []byte("same"), strings.Repeat("ab", 32), st, at)
	if bytes.Equal(a.MAC, b.MAC) || bytes.Equal(a.Salt, b.Salt) {
		t.Error("two requests for the same data share a salt or checksum; the checksum would identify the secret")
	}
}

func TestRequestHolds(t *testing.T) {
	_, st := testState(t)
	req, _ := newClearRequest(XClip, []byte("line one\nline two"), strings.Repeat("ab", 32), st, time.Now())
	for _, tc := range []struct {
		got  string
		want bool
	}{
		{"line one\nline two", true},
		{"line one\nline two\n", true},
		{"line one\r\nline two", true},
		{"line one\r\nline two\r\n", true},
		{"line one\nline two\n\n", false},
		{"line one\nline tw", false},
		{"", false},
		{"something else", false},
	} {
		if got := req.holds([]byte(tc.got)); got != tc.want {
			t.Errorf("holds(%q) = %v; want %v", tc.got, got, tc.want)
		}
	}
}

func TestDecodeRequestRejects(t *testing.T) {
	_, st := testState(t)
	good, _ := newClearRequest(XClip, []byte("x"), strings.Repeat("ab", 32), st, time.Now().Add(time.Minute))
	mutate := func(f func(*clearRequest)) []byte {
		r := good
		f(&r)
		b, _ := encodeRequest(r)
		return b
	}
	goodJSON, _ := encodeRequest(good)
	for name, in := range map[string][]byte{
		"empty":           nil,
		"not json":        []byte("hello"),
		"trailing data":   append(append([]byte(nil), goodJSON...), []byte(" {}")...),
		"unknown field":   bytes.Replace(goodJSON, []byte(`{"version"`), []byte(`{"secret":"x","version"`), 1),
		"too large":       bytes.Repeat([]byte(" "), maxRequestSize+1),
		"version":         mutate(func(r *clearRequest) { r.Version = 2 }),
		"osc52":           mutate(func(r *clearRequest) { r.Backend = OSC52 }),
		"unknown backend": mutate(func(r *clearRequest) { r.Backend = "clip.exe" }),
		"short salt":      mutate(func(r *clearRequest) { r.Salt = r.Salt[:4] }),
		"short mac":       mutate(func(r *clearRequest) { r.MAC = r.MAC[:4] }),
		"bad token":       mutate(func(r *clearRequest) { r.Token = strings.Repeat("zz", 32) }),
		"relative path":   mutate(func(r *clearRequest) { r.TokenFile = "token" }),
		"no time":         mutate(func(r *clearRequest) { r.ClearAt = 0 }),
		"far future":      mutate(func(r *clearRequest) { r.ClearAt = time.Now().Add(2 * maxClearDelay).UnixMilli() }),
	} {
		if _, err := decodeRequest(bytes.NewReader(in)); err == nil {
			t.Errorf("%s: decodeRequest accepted %q", name, in)
		}
	}
}

func TestClearIfCurrent(t *testing.T) {
	env, st := testState(t)
	ctx := context.Background()
	past := time.Now().Add(-time.Second)

	t.Run("still ours", func(t *testing.T) {
		req := copyToken(t, env, "s3cret", past)
		b := &memBoard{content: []byte("s3cret")}
		if o, err := clearIfCurrent(ctx, req, b); o != cleared || err != nil {
			t.Fatalf("outcome %v, %v; want cleared", o, err)
		}
		if b.clears != 1 {
			t.Errorf("board cleared %d times", b.clears)
		}
		if _, err := os.Stat(st.tokenFile); !os.IsNotExist(err) {
			t.Errorf("the spent token file is still there (%v)", err)
		}
	})
	t.Run("the user copied something else", func(t *testing.T) {
		req := copyToken(t, env, "s3cret", past)
		b := &memBoard{content: []byte("my own notes")}
		if o, err := clearIfCurrent(ctx, req, b); o != changed || err != nil {
			t.Fatalf("outcome %v, %v; want changed", o, err)
		}
		if b.clears != 0 || string(b.content) != "my own notes" {
			t.Error("the user's content was touched")
		}
	})
	t.Run("copied again", func(t *testing.T) {
		first := copyToken(t, env, "s3cret", past)
		second := copyToken(t, env, "s3cret", past)
		b := &memBoard{content: []byte("s3cret")}
		if o, err := clearIfCurrent(ctx, first, b); o != superseded || err != nil {
			t.Fatalf("first helper: outcome %v, %v; want superseded", o, err)
		}
		if b.clears != 0 {
			t.Fatal("the first helper cleared although the copy was repeated")
		}
		if o, err := clearIfCurrent(ctx, second, b); o != cleared || err != nil {
			t.Fatalf("second helper: outcome %v, %v; want cleared", o, err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		req := copyToken(t, env, "s3cret", past)
		b := &memBoard{readErr: errors.New("no owner")}
		if o, err := clearIfCurrent(ctx, req, b); o != unreadable || err == nil {
			t.Fatalf("outcome %v, %v; want unreadable with an error", o, err)
		}
	})
	t.Run("token file gone", func(t *testing.T) {
		req := copyToken(t, env, "s3cret", past)
		os.Remove(st.tokenFile)
		b := &memBoard{content: []byte("s3cret")}
		if o, _ := clearIfCurrent(ctx, req, b); o != superseded || b.clears != 0 {
			t.Fatalf("outcome %v with %d clears; want superseded and untouched", o, b.clears)
		}
	})
}

func TestGiveBackKeepsTheEarlierClear(t *testing.T) {
	env, _ := testState(t)
	ctx := context.Background()
	first := copyToken(t, env, "s3cret", time.Now())

	// A second copy claims the clipboard, then fails to copy.
	c, err := claim(ctx, env, XClip)
	if err != nil {
		t.Fatal(err)
	}
	failed, _ := newClearRequest(XClip, []byte("s3cret"), c.token, c.state, time.Now())
	c.giveBack()
	c.unlock()

	b := &memBoard{content: []byte("s3cret")}
	if o, _ := clearIfCurrent(ctx, failed, b); o != superseded {
		t.Errorf("the failed copy's helper: %v; want superseded", o)
	}
	if o, _ := clearIfCurrent(ctx, first, b); o != cleared {
		t.Errorf("the first copy's helper: %v; want cleared, its secret is still there", o)
	}
}

func TestClaimWaitsForTheLock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no file locks on Windows")
	}
	env, st := testState(t)
	unlock, err := lockFile(context.Background(), st.lockFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := claim(ctx, env, XClip); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("claim while locked: %v; want it to wait until the context ends", err)
	}
	unlock()
	c, err := claim(context.Background(), env, XClip)
	if err != nil {
		t.Fatalf("claim after unlock: %v", err)
	}
	c.unlock()
}

func TestStateFiles(t *testing.T) {
	runtimeDir := t.TempDir()
	vars := map[string]string{"DISPLAY": ":1", "WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": runtimeDir}
	env := fakeEnv{"linux", vars, nil}.env()
	xclip, _ := stateFor(env, XClip)
	xsel, _ := stateFor(env, XSel)
	wl, _ := stateFor(env, Wayland)
	vars["DISPLAY"] = ":2"
	other, _ := stateFor(env, XClip)

	if xclip.tokenFile != xsel.tokenFile {
		t.Error("xclip and xsel reach the same X clipboard but use different state")
	}
	if xclip.tokenFile == wl.tokenFile || xclip.tokenFile == other.tokenFile {
		t.Error("different clipboards share state: a copy to one would cancel the clear of the other")
	}
	if want := filepath.Join(runtimeDir, "mysafe"); xclip.dir != want {
		t.Errorf("state dir %s; want %s", xclip.dir, want)
	}
	if _, err := stateFor(env, OSC52); err == nil {
		t.Error("OSC 52 got clear state")
	}

	delete(vars, "XDG_RUNTIME_DIR")
	fallback, _ := stateFor(env, XClip)
	if !strings.HasPrefix(fallback.dir, os.TempDir()) || !strings.Contains(filepath.Base(fallback.dir), "mysafe") {
		t.Errorf("fallback state dir %s; want mysafe-<uid> in %s", fallback.dir, os.TempDir())
	}
}

func TestStatePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	env, st := testState(t)
	c, err := claim(context.Background(), env, XClip)
	if err != nil {
		t.Fatal(err)
	}
	c.unlock()
	for path, want := range map[string]os.FileMode{st.dir: 0o700, st.tokenFile: 0o600, st.lockFile: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o; want %o", path, got, want)
		}
	}

	// A directory open to others is made private.
	os.Chmod(st.dir, 0o755)
	if err := st.prepare(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(st.dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("prepare left %s with mode %o", st.dir, fi.Mode().Perm())
	}

	// A symbolic link, which someone may have planted, is refused.
	target := t.TempDir()
	link := filepath.Join(t.TempDir(), "mysafe")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := (state{dir: link}).prepare(); err == nil {
		t.Error("prepare accepted a symbolic link as the state directory")
	}
}

func TestSleepUntil(t *testing.T) {
	start := time.Now()
	sleepUntil(context.Background(), start.Add(-time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sleepUntil(ctx, start.Add(time.Hour))
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("sleepUntil took %v for a past time and a cancelled context", d)
	}
}

func TestHelperClearsAtOnceWhenCancelled(t *testing.T) {
	env, _ := testState(t)
	req := copyToken(t, env, "s3cret", time.Now().Add(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := &memBoard{content: []byte("s3cret")}
	if o, err := waitAndClear(ctx, req, b); o != cleared || err != nil {
		t.Fatalf("outcome %v, %v; a helper told to stop must clear rather than leave the secret", o, err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	st := state{tokenFile: "/run/user/1000/mysafe/c.token", lockFile: "/run/user/1000/mysafe/c.lock"}
	req, _ := newClearRequest(XClip, []byte("seed"), strings.Repeat("0f", 32), st, time.Now().Add(time.Minute))
	seed, _ := encodeRequest(req)
	f.Add(seed)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := decodeRequest(bytes.NewReader(in))
		if err != nil {
			return
		}
		if err := r.validate(); err != nil {
			t.Fatalf("decodeRequest returned an invalid request: %v", err)
		}
		again, err := encodeRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeRequest(bytes.NewReader(again)); err != nil {
			t.Fatalf("a decoded request does not decode again: %v", err)
		}
	})
}

// lagBoard is a clipboard whose clear shows in reads only after lag reads
// (xclip forks, and its background process takes the clipboard a moment
// after the command returns), or never when lag is negative.
type lagBoard struct {
	memBoard
	lag int
}

func (l *lagBoard) read(context.Context) ([]byte, error) {
	if l.clears > 0 && l.lag != 0 {
		l.lag--
		return []byte("sk_live_lagging"), nil
	}
	return l.content, nil
}

func TestClearWaitsUntilTheDataIsGone(t *testing.T) {
	for _, tc := range []struct {
		name string
		lag  int
		want outcome
	}{
		{"at once", 0, cleared},
		{"after a few reads", 5, cleared},
		{"never", -1, unreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := testState(t)
			req := copyToken(t, env, "sk_live_lagging", time.Now())
			b := &lagBoard{memBoard: memBoard{content: []byte("sk_live_lagging")}, lag: tc.lag}
			ctx := context.Background()
			if tc.lag < 0 {
				// Never gone: stop waiting early rather than after clearSettle.
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
			}
			got, err := clearIfCurrent(ctx, req, b)
			if got != tc.want || (tc.want == cleared) != (err == nil) {
				t.Fatalf("clearIfCurrent = %v, %v; want %v", got, err, tc.want)
			}
			if tc.want == cleared && tc.lag > 0 && b.lag != 0 {
				t.Errorf("%d lagging reads left: it did not wait for the clear to show", b.lag)
			}
		})
	}
}
