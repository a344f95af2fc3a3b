package clipboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Exit codes of the test binary acting as the clear helper: 20 + outcome, so
// tests can tell what the helper decided.
const helperExitBase = 20

// TestMain lets the test binary be the clear helper, as the mysafe binary is:
// Copy starts os.Executable() with HelperArg, which here is the test binary.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == HelperArg {
		os.Exit(testHelperMain(os.Stdin))
	}
	os.Exit(m.Run())
}

// testHelperMain runs the helper and, since its stderr is the null device,
// leaves what it did in a log beside the state files for failing tests to
// show.
func testHelperMain(stdin io.Reader) int {
	raw, _ := io.ReadAll(stdin)
	o, err := runClearHelper(context.Background(), bytes.NewReader(raw), SystemEnv())
	if req, derr := decodeRequest(bytes.NewReader(raw)); derr == nil {
		line := fmt.Sprintf("pid %d: outcome %d, error %v\n", os.Getpid(), o, err)
		if f, ferr := os.OpenFile(filepath.Join(filepath.Dir(req.TokenFile), "helper.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); ferr == nil {
			f.WriteString(line)
			f.Close()
		}
	}
	return helperExitBase + int(o)
}

// waitHelper waits for a helper process and returns its outcome.
func waitHelper(t *testing.T, p *os.Process, stateDir string) outcome {
	t.Helper()
	if p == nil {
		t.Fatal("no clear helper was started")
	}
	type result struct {
		st  *os.ProcessState
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := p.Wait()
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("waiting for the helper: %v", r.err)
		}
		code := r.st.ExitCode() - helperExitBase
		if code < 0 {
			t.Fatalf("helper exited with %v; log:\n%s", r.st, helperLog(stateDir))
		}
		return outcome(code)
	case <-time.After(60 * time.Second):
		_ = p.Kill()
		t.Fatalf("the helper did not finish within a minute; log:\n%s", helperLog(stateDir))
	}
	return 0
}

func helperLog(stateDir string) string {
	b, err := os.ReadFile(filepath.Join(stateDir, "helper.log"))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return string(b)
}

func (o outcome) String() string {
	switch o {
	case cleared:
		return "cleared"
	case superseded:
		return "superseded"
	case changed:
		return "changed"
	case unreadable:
		return "unreadable"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// fakeEnv describes a system for Select: its variables and the programs on
// its PATH.
type fakeEnv struct {
	goos  string
	vars  map[string]string
	tools []string
}

func (f fakeEnv) env() Env {
	return Env{
		Getenv: func(k string) string { return f.vars[k] },
		LookPath: func(name string) (string, error) {
			for _, t := range f.tools {
				if t == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", errors.New("not found")
		},
		GOOS: f.goos,
	}
}
