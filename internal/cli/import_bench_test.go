package cli_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/importer/importertest"
)

// Whole-process benchmarks of what import does before it writes: read a
// mysafe export of MYSAFE_BENCH_RECORDS API secrets (default 10,000), one in
// ten with two problems, check every entry and report. --dry-run needs no
// vault and no unlock, so this is the cost of the error reporting alone;
// the write path is measured by the Process benchmarks' import.
//
//	go test -run '^$' -bench ImportDryRun -benchtime 10x ./internal/cli/
func BenchmarkProcessImportDryRun(b *testing.B) {
	benchImportReport(b, "--dry-run")
}

func BenchmarkProcessImportDryRunJSON(b *testing.B) {
	benchImportReport(b, "--dry-run", "--json")
}

// A refused import (exit 2): the reasons on stderr, nothing written.
func BenchmarkProcessImportRefused(b *testing.B) {
	benchImportReport(b)
}

func benchImportReport(b *testing.B, flags ...string) {
	n := 10000
	if v, err := fmt.Sscan(os.Getenv("MYSAFE_BENCH_RECORDS"), &n); v != 1 || err != nil {
		n = 10000
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "mysafe")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/mysafe/mysafe/cmd/mysafe").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	data := importertest.OwnExport(n)
	file := filepath.Join(dir, "export.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	env := append(slices.DeleteFunc(os.Environ(), func(s string) bool { return strings.HasPrefix(s, "MYSAFE_") }),
		"HOME="+dir, "MYSAFE_VAULT="+filepath.Join(dir, "vault.db"), "MYSAFE_CONFIG="+filepath.Join(dir, "none.yaml"))
	os.WriteFile(filepath.Join(dir, "none.yaml"), nil, 0o600)
	args := append(append([]string{"import"}, flags...), file)
	var times []time.Duration
	var cpu time.Duration
	for b.Loop() {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		start := time.Now()
		out, err := cmd.Output()
		times = append(times, time.Since(start))
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || len(out) == 0 && len(flags) > 0 {
			b.Fatalf("%v: %v, %d bytes on stdout; want exit 2", args, err, len(out))
		}
		cpu += ee.ProcessState.UserTime() + ee.ProcessState.SystemTime()
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/median")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n), "entries")
}
