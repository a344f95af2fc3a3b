package clipboard

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The clear helper protocol: the parent writes one JSON object, a
// clearRequest, to the helper's stdin and closes it. It carries no secret:
// only a salted HMAC of the copied data, from which nothing about the data
// can be learnt or checked without a candidate for it.
const (
	requestVersion = 1
	// maxRequestSize bounds what the helper reads from stdin.
	maxRequestSize = 4096
	// maxClearDelay bounds the delay a request may carry.
	maxClearDelay = 366 * 24 * time.Hour
	// wakeEvery is how often the waiting helper looks at the wall clock. Go
	// timers run on the monotonic clock, which stops while the machine
	// sleeps; checking the wall clock makes a suspended laptop clear soon
	// after it wakes instead of a whole delay later.
	wakeEvery = time.Second
)

// clearRequest is what a Copy tells its clear helper.
type clearRequest struct {
	Version int     `json:"version"`
	Backend Backend `json:"backend"`
	// ClearAt is the wall-clock time to clear, in Unix milliseconds.
	ClearAt int64 `json:"clear_at_unix_ms"`
	// Salt is 32 random bytes; MAC is HMAC-SHA256 keyed by Salt of the data.
	Salt []byte `json:"salt"`
	MAC  []byte `json:"mac"`
	// Token is the copy's token: the helper clears only while TokenFile
	// still holds it.
	Token     string `json:"token"`
	TokenFile string `json:"token_file"`
	LockFile  string `json:"lock_file"`
}

// outcome is what a helper did, for tests (RunClearHelper returns only an
// error).
type outcome int

const (
	// cleared: the clipboard still held the data and was cleared.
	cleared outcome = iota
	// superseded: a later copy to this clipboard took over.
	superseded
	// changed: the clipboard holds something else, left alone.
	changed
	// unreadable: the clipboard could not be read (no owner, display gone).
	unreadable
)

func newClearRequest(b Backend, data []byte, token string, st state, at time.Time) (clearRequest, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return clearRequest{}, err
	}
	return clearRequest{
		Version:   requestVersion,
		Backend:   b,
		ClearAt:   at.UnixMilli(),
		Salt:      salt,
		MAC:       macOf(salt, data),
		Token:     token,
		TokenFile: st.tokenFile,
		LockFile:  st.lockFile,
	}, nil
}

func macOf(salt, data []byte) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write(data)
	return m.Sum(nil)
}

// holds reports whether clipboard content got is the data the request was
// made for. Besides the exact bytes it accepts the data with one trailing
// newline added, or with CRLF line ends, which some tools produce on the way
// back; each is the same secret, so clearing it is right.
func (r clearRequest) holds(got []byte) bool {
	candidates := [][]byte{got}
	if t, ok := bytes.CutSuffix(got, []byte("\r\n")); ok {
		candidates = append(candidates, t)
	} else if t, ok := bytes.CutSuffix(got, []byte("\n")); ok {
		candidates = append(candidates, t)
	}
	if bytes.Contains(got, []byte("\r\n")) {
		lf := bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n"))
		candidates = append(candidates, lf, bytes.TrimSuffix(lf, []byte("\n")))
	}
	match := false
	for _, c := range candidates {
		if hmac.Equal(macOf(r.Salt, c), r.MAC) {
			match = true
		}
	}
	return match
}

func (r clearRequest) validate() error {
	switch {
	case r.Version != requestVersion:
		return fmt.Errorf("unsupported request version %d", r.Version)
	case !r.Backend.CanClear():
		return fmt.Errorf("backend %q cannot be cleared", string(r.Backend))
	case len(r.Salt) != 32 || len(r.MAC) != sha256.Size:
		return errors.New("bad salt or checksum length")
	case len(r.Token) != 64:
		return errors.New("bad token length")
	case !filepath.IsAbs(r.TokenFile) || !filepath.IsAbs(r.LockFile):
		return errors.New("state files must be absolute paths")
	case r.ClearAt <= 0 || time.Until(time.UnixMilli(r.ClearAt)) > maxClearDelay:
		return errors.New("clear time out of range")
	}
	if _, err := hex.DecodeString(r.Token); err != nil {
		return errors.New("token is not hexadecimal")
	}
	return nil
}

// encodeRequest and decodeRequest are the two ends of the helper's stdin.
func encodeRequest(r clearRequest) ([]byte, error) { return json.Marshal(r) }

func decodeRequest(rd io.Reader) (clearRequest, error) {
	b, err := io.ReadAll(io.LimitReader(rd, maxRequestSize+1))
	if err != nil {
		return clearRequest{}, fmt.Errorf("cannot read the clear request: %w", err)
	}
	if len(b) > maxRequestSize {
		return clearRequest{}, errors.New("clear request too large")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r clearRequest
	if err := dec.Decode(&r); err != nil {
		return clearRequest{}, fmt.Errorf("malformed clear request: %w", err)
	}
	if dec.More() {
		return clearRequest{}, errors.New("malformed clear request: trailing data")
	}
	if err := r.validate(); err != nil {
		return clearRequest{}, fmt.Errorf("invalid clear request: %w", err)
	}
	return r, nil
}

// startHelper starts the clear helper detached (its own session, no
// terminal, stdout and stderr on the null device), gives it the request on
// stdin and returns without waiting for it.
func startHelper(env Env, command []string, req clearRequest) (*os.Process, error) {
	if len(command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("cannot find the running program: %w", err)
		}
		command = []string{exe, HelperArg}
	}
	msg, err := encodeRequest(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = childEnviron(env)
	cmd.SysProcAttr = detachedAttr()
	// The helper must not keep the caller's working directory busy (an
	// unmountable USB stick) for the whole delay.
	cmd.Dir = os.TempDir()
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// The request is far smaller than a pipe buffer: this does not block.
	_, err = in.Write(msg)
	if cerr := in.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		return nil, fmt.Errorf("cannot hand the clear request to the helper: %w", err)
	}
	return cmd.Process, nil
}

// RunClearHelper is the clear helper: the program started with HelperArg
// must call it with its standard input. It reads the request Copy wrote,
// waits until the clear time and then, under the clipboard's lock, clears
// the clipboard if and only if no later Copy to the same clipboard has
// happened and the clipboard still holds the copied data (compared by salted
// checksum). In every other case it leaves the clipboard alone and returns
// nil.
//
// If ctx is cancelled during the wait, the helper does not give up: it checks
// and clears at once, since a clear that comes early is better than one that
// never comes. So the caller should cancel ctx on SIGTERM, which is how a
// logout or shutdown stops the helper (it has no terminal, so no SIGINT or
// SIGHUP reaches it).
//
// It returns an error for a malformed request, a clipboard tool that is
// missing or fails, or a clipboard that cannot be read. Nobody sees these:
// the helper's output goes nowhere. env should be SystemEnv(); the helper
// inherits the display variables from the process that started it.
func RunClearHelper(ctx context.Context, stdin io.Reader, env Env) error {
	_, err := runClearHelper(ctx, stdin, env)
	return err
}

func runClearHelper(ctx context.Context, stdin io.Reader, env Env) (outcome, error) {
	req, err := decodeRequest(stdin)
	if err != nil {
		return unreadable, err
	}
	sb, err := newSystemBoard(env, req.Backend)
	if err != nil {
		return unreadable, err
	}
	return waitAndClear(ctx, req, sb)
}

// waitAndClear waits for the request's time, or for ctx to end, and then
// clears b if the request still holds.
func waitAndClear(ctx context.Context, req clearRequest, b board) (outcome, error) {
	sleepUntil(ctx, time.UnixMilli(req.ClearAt))
	// From here on the work is short and bounded by the tool timeouts; do
	// it even if ctx was cancelled.
	return clearIfCurrent(context.WithoutCancel(ctx), req, b)
}

// sleepUntil returns at the wall-clock time t, or when ctx is done.
func sleepUntil(ctx context.Context, t time.Time) {
	t = t.Round(0) // compare on the wall clock, which keeps running in suspend
	for {
		d := time.Until(t)
		if d <= 0 {
			return
		}
		timer := time.NewTimer(min(d, wakeEvery))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// clearIfCurrent is the decision at the heart of the helper.
func clearIfCurrent(ctx context.Context, req clearRequest, b board) (outcome, error) {
	unlock, err := lockFile(ctx, req.LockFile)
	if err != nil {
		return unreadable, err
	}
	defer unlock()
	if !tokenIs(req.TokenFile, req.Token) {
		return superseded, nil
	}
	got, err := b.read(ctx)
	if err != nil {
		return unreadable, err
	}
	if !req.holds(got) {
		return changed, nil
	}
	if err := b.clear(ctx); err != nil {
		return unreadable, err
	}
	// A tool that forks (xclip) may return before its background process
	// owns the clipboard: the data is gone only once a read says so.
	if err := awaitGone(ctx, req, b); err != nil {
		return unreadable, err
	}
	// The clear this token scheduled is done; a copy made after this point
	// writes a new token anyway.
	_ = os.Remove(req.TokenFile)
	return cleared, nil
}

// clearSettle is how long a clear may take to show in a read.
const clearSettle = 5 * time.Second

// awaitGone reads the clipboard until it no longer holds req's data, for at
// most clearSettle. A read that fails counts as gone: some tools fail to
// read an empty clipboard.
func awaitGone(ctx context.Context, req clearRequest, b board) error {
	deadline := time.Now().Add(clearSettle)
	for {
		got, err := b.read(ctx)
		if err != nil || !req.holds(got) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("the clipboard still holds the copied data after clearing it")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
