package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Whole-process benchmarks: they build the real mysafe binary, fill a vault
// with MYSAFE_BENCH_RECORDS API secrets (default 10,000) through `mysafe
// import`, and time complete runs of the commands people use, unlocked with
// an exported identity (no scrypt), as a CI job would be. Besides ns/op
// (the mean) each reports ms/median, the figure docs/performance.md quotes,
// the peak resident memory of the slowest run, the file size per record
// and how long the import took. scripts/bench-process.sh runs them at
// 1,000, 10,000 and 100,000 records.
//
//	go test -run '^$' -bench Process -benchtime 40x ./internal/cli/

var (
	benchOnce    sync.Once
	benchEnv     []string
	benchBin     string
	benchErr     error
	benchBytes   int64
	benchRecords = 10000
	benchImport  time.Duration
)

func benchSetup(b *testing.B) {
	benchOnce.Do(func() {
		if n, err := strconv.Atoi(os.Getenv("MYSAFE_BENCH_RECORDS")); err == nil && n > 0 {
			benchRecords = n
		}
		// MYSAFE_BENCH_DIR (scripts/bench-process.sh makes and removes
		// one), or one fixed folder, replaced on every run, so repeated
		// runs do not pile up large vaults in the temporary directory.
		dir := os.Getenv("MYSAFE_BENCH_DIR")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "mysafe-process-bench")
		}
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			benchErr = err
			return
		}
		benchBin = filepath.Join(dir, "mysafe")
		if out, err := exec.Command("go", "build", "-o", benchBin, "github.com/mysafe/mysafe/cmd/mysafe").CombinedOutput(); err != nil {
			benchErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		vault := filepath.Join(dir, "vault.db")
		env := append(os.Environ(), "HOME="+dir, "MYSAFE_VAULT="+vault, "MYSAFE_CONFIG="+filepath.Join(dir, "none.yaml"))
		env = slices.DeleteFunc(env, func(s string) bool {
			return strings.HasPrefix(s, "MYSAFE_IDENTITY") || strings.HasPrefix(s, "MYSAFE_PASSPHRASE")
		})
		os.WriteFile(filepath.Join(dir, "none.yaml"), nil, 0o600)
		pass := filepath.Join(dir, "pass")
		os.WriteFile(pass, []byte("benchmark passphrase\n"), 0o600)
		run := func(stdin string, args ...string) (string, error) {
			cmd := exec.Command(benchBin, args...)
			cmd.Env = append(slices.Clone(env), "MYSAFE_PASSPHRASE_FILE="+pass)
			cmd.Stdin = strings.NewReader(stdin)
			out, err := cmd.Output()
			if ee, ok := err.(*exec.ExitError); ok {
				err = fmt.Errorf("%v: %s", err, ee.Stderr)
			}
			return string(out), err
		}
		if _, benchErr = run("", "init", "--owner", "bench"); benchErr != nil {
			return
		}
		data := benchImportJSON(benchRecords)
		start := time.Now()
		if _, benchErr = run(string(data), "import", "--format", "json", "-"); benchErr != nil {
			return
		}
		benchImport = time.Since(start)
		id, err := run("", "identity", "export")
		if err != nil {
			benchErr = err
			return
		}
		benchEnv = append(env, "MYSAFE_IDENTITY="+strings.TrimSpace(id))
		if fi, err := os.Stat(vault); err == nil {
			benchBytes = fi.Size()
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
}

func benchProcess(b *testing.B, stdin func(i int) string, args func(i int) []string) {
	benchSetup(b)
	var times []time.Duration
	i := 0
	for b.Loop() {
		cmd := exec.Command(benchBin, args(i)...)
		cmd.Env = benchEnv
		if stdin != nil {
			cmd.Stdin = strings.NewReader(stdin(i))
		}
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args(i), err, out)
		}
		times = append(times, time.Since(start))
		i++
	}
	// Peak memory, measured by GNU time in one more run: the rusage of a
	// child this process starts counts this process's own memory, which
	// the child shares until it execs.
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		rss := filepath.Join(b.TempDir(), "rss")
		cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", rss, benchBin}, args(i)...)...)
		cmd.Env = benchEnv
		if stdin != nil {
			cmd.Stdin = strings.NewReader(stdin(i))
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args(i), err, out)
		}
		if kb, err := os.ReadFile(rss); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(kb))); err == nil {
				b.ReportMetric(float64(n)/1024, "MiB-maxrss")
			}
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/median")
	b.ReportMetric(float64(benchBytes)/float64(benchRecords), "file-bytes/record")
	b.ReportMetric(benchImport.Seconds(), "s-import")
}

func fixed(args ...string) func(int) []string { return func(int) []string { return args } }

func BenchmarkProcessVersion(b *testing.B) { benchProcess(b, nil, fixed("version")) }
func BenchmarkProcessList(b *testing.B)    { benchProcess(b, nil, fixed("list")) }
func BenchmarkProcessListTag(b *testing.B) {
	benchProcess(b, nil, fixed("list", "--tag", "prod", "--tag", "team7"))
}
func BenchmarkProcessListSearch(b *testing.B) {
	benchProcess(b, nil, fixed("list", "--search", "RESOURCE/42"))
}
func BenchmarkProcessListJSON(b *testing.B) { benchProcess(b, nil, fixed("list", "--json")) }
func BenchmarkProcessShow(b *testing.B) {
	benchProcess(b, nil, func(i int) []string { return []string{"show", fmt.Sprintf("svc-%05d", (i*7919)%benchRecords)} })
}
func BenchmarkProcessShowByName(b *testing.B) {
	benchProcess(b, nil, func(i int) []string { return []string{"show", fmt.Sprintf("service-%05d", (i*7919)%benchRecords)} })
}
func BenchmarkProcessReveal(b *testing.B) {
	benchProcess(b, nil, func(i int) []string { return []string{"reveal", fmt.Sprintf("svc-%05d", (i*7919)%benchRecords)} })
}
func BenchmarkProcessAdd(b *testing.B) {
	benchProcess(b, func(int) string { return "new-secret-value" }, func(i int) []string {
		return []string{"add", "api-secret", "--name", fmt.Sprintf("bench-new-%d-%d", time.Now().UnixNano(), i),
			"--url", "https://new.example.com", "--client-id", "c", "--client-secret-stdin"}
	})
}

// benchAgentVsIdentity times args run two ways in the same benchmark,
// alternately, so machine load affects both alike: unlocked by the agent of
// `mysafe unlock`, and unlocked with MYSAFE_IDENTITY. It reports both
// medians and their ratio (agent / identity).
func benchAgentVsIdentity(b *testing.B, args func(i int) []string) {
	benchSetup(b)
	run, err := os.MkdirTemp("", "msbench")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(run)
	withID := append(slices.Clone(benchEnv), "XDG_RUNTIME_DIR="+run)
	agentEnv := slices.DeleteFunc(slices.Clone(withID), func(s string) bool { return strings.HasPrefix(s, "MYSAFE_IDENTITY=") })
	start := func(env []string, args ...string) {
		cmd := exec.Command(benchBin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	start(withID, "unlock", "--timeout", "10m")
	defer start(agentEnv, "lock")
	var agentTimes, idTimes []time.Duration
	timed := func(env []string, a []string) time.Duration {
		cmd := exec.Command(benchBin, a...)
		cmd.Env = env
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", a, err, out)
		}
		return time.Since(t0)
	}
	i := 0
	for b.Loop() {
		a := args(i)
		if i%2 == 0 {
			agentTimes = append(agentTimes, timed(agentEnv, a))
			idTimes = append(idTimes, timed(withID, a))
		} else {
			idTimes = append(idTimes, timed(withID, a))
			agentTimes = append(agentTimes, timed(agentEnv, a))
		}
		i++
	}
	median := func(ts []time.Duration) float64 {
		slices.Sort(ts)
		return float64(ts[len(ts)/2].Microseconds()) / 1000
	}
	am, im := median(agentTimes), median(idTimes)
	b.ReportMetric(am, "agent-ms/median")
	b.ReportMetric(im, "identity-ms/median")
	b.ReportMetric(am/im, "agent/identity")
}

func BenchmarkProcessAgentReveal(b *testing.B) {
	benchAgentVsIdentity(b, func(i int) []string { return []string{"reveal", fmt.Sprintf("svc-%05d", (i*7919)%benchRecords)} })
}

func BenchmarkProcessAgentExec(b *testing.B) {
	benchAgentVsIdentity(b, func(i int) []string {
		return []string{"exec", "--env", "TOKEN=" + fmt.Sprintf("svc-%05d", (i*7919)%benchRecords), "--", "true"}
	})
}

// benchImportJSON is a mysafe JSON import file of n API secrets shaped like
// real ones: 50 hosts, 20 teams, three methods, notes of three lengths.
func benchImportJSON(n int) []byte {
	recs := make([]map[string]any, 0, n)
	for i := range n {
		recs = append(recs, map[string]any{
			"name": fmt.Sprintf("service-%05d", i), "url": fmt.Sprintf("https://api%d.example.com/v1/resource/%d", i%50, i),
			"client_id": fmt.Sprintf("client-%05d-abcdefgh", i), "client_secret": fmt.Sprintf("%048d", i),
			"identifier": fmt.Sprintf("svc-%05d", i), "method": []string{"GET", "POST", "PUT"}[i%3],
			"tags":  []string{fmt.Sprintf("team%d", i%20), []string{"prod", "staging", "dev"}[i%3]},
			"notes": strings.Repeat("Rotated quarterly by the platform team. ", i%3),
		})
	}
	data, _ := json.Marshal(recs)
	return data
}
