package tokenscript_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/hydratest"
)

// BenchmarkProcessToken times complete runs of `mysafe token` against a
// local Ory Hydra, with the vault unlocked by the agent of `mysafe unlock`:
// a miss asks the token endpoint (--no-cache), a hit is answered from the
// agent's cache. Each iteration runs one of each, so machine load hits both
// alike; it reports the two medians. docs/token.md quotes them.
//
//	go test -run '^$' -bench ProcessToken -benchtime 40x ./internal/cli/tokenscript/
func BenchmarkProcessToken(b *testing.B) {
	h := hydratest.Start(b)
	defer h.Close()
	c := hydratest.Client{ID: "bench-app", Secret: hydratest.RandomSecret(), AuthMethod: "client_secret_basic", Scopes: []string{"read"}}
	if err := h.CreateClient(c); err != nil {
		b.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "mstok")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "mysafe-bin") // not "mysafe": that is the agent's folder in XDG_RUNTIME_DIR
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/mysafe/mysafe/cmd/mysafe").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	env := slices.DeleteFunc(os.Environ(), func(s string) bool { return strings.HasPrefix(s, "MYSAFE_") })
	env = append(env, "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "MYSAFE_VAULT="+filepath.Join(dir, "vault.db"),
		"MYSAFE_CONFIG="+filepath.Join(dir, "none.yaml"))
	if err := os.WriteFile(filepath.Join(dir, "none.yaml"), nil, 0o600); err != nil {
		b.Fatal(err)
	}
	run := func(env []string, stdin string, args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdin = env, strings.NewReader(stdin)
		out, err := cmd.Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			b.Fatalf("mysafe %v: %v: %s", args, err, ee.Stderr)
		}
		if err != nil {
			b.Fatal(err)
		}
		return string(out)
	}
	withPass := append(slices.Clone(env), "MYSAFE_PASSPHRASE=benchmark passphrase")
	run(withPass, "", "init", "--owner", "bench")
	run(withPass, c.Secret, "add", "api-secret", "--name", "api", "--url", "https://api.example",
		"--client-id", c.ID, "--token-url", h.TokenURL, "--client-secret-stdin")
	run(withPass, "", "unlock", "--timeout", "30m")
	defer run(env, "", "lock")
	cached := run(env, "", "token", "api", "--scope", "read") // fills the cache

	var miss, hit []time.Duration
	for b.Loop() {
		start := time.Now()
		if run(env, "", "token", "api", "--scope", "read", "--no-cache") == cached {
			b.Fatal("--no-cache printed the cached token")
		}
		miss = append(miss, time.Since(start))
		start = time.Now()
		if run(env, "", "token", "api", "--scope", "read") != cached {
			b.Fatal("a hit printed another token than the cached one")
		}
		hit = append(hit, time.Since(start))
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	b.ReportMetric(median(miss), "miss-ms/median")
	b.ReportMetric(median(hit), "hit-ms/median")
}
