// Package tokenscript_test drives `mysafe token` end to end against a real
// Ory Hydra, with testscript, like the command-line stories in
// internal/cli/testdata/script. It is a package of its own so that the
// server's start and the network round trips do not lengthen that suite.
package tokenscript_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mysafe/mysafe/internal/agent"
	"github.com/mysafe/mysafe/internal/cli/clitest"
)

func TestMain(m *testing.M) {
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	// `unlock` starts its agent as this executable with agent.HelperArg.
	if len(os.Args) == 2 && os.Args[1] == agent.HelperArg {
		os.Exit(clitest.Main())
	}
	testscript.Main(m, map[string]func(){
		"mysafe": func() { os.Exit(clitest.Main()) },
	})
}

func TestScript(t *testing.T) {
	hydra := &sharedHydra{}
	t.Cleanup(hydra.close)
	testscript.Run(t, testscript.Params{
		Dir:                "testdata/script",
		RequireUniqueNames: true,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			e.Setenv("HOME", home)
			e.Setenv("TZ", "UTC")
			// A short runtime folder keeps the agent's socket path under the
			// kernel's limit; an agent a script leaves is locked when it ends.
			run, err := os.MkdirTemp("", "mstok")
			if err != nil {
				return err
			}
			e.Setenv("XDG_RUNTIME_DIR", run)
			e.Defer(func() {
				socks, _ := filepath.Glob(filepath.Join(run, "mysafe", "*.sock"))
				for _, s := range socks {
					agent.Client{Socket: s}.Lock()
				}
				os.RemoveAll(run)
			})
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond != "hydra" {
				return false, errors.New("unknown condition " + cond)
			}
			return hydraPresent()
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"hydra": hydra.cmd,
			"exits": cmdExits,
		},
	})
}

// exits CODE PROG [ARGS...]: run PROG and require that exact exit status.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
