package cli_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSizes compares vault sizes in one run: it fills one vault per
// size (MYSAFE_BENCH_SIZES, default 1000,10000,100000) through `mysafe
// import`, then, in every iteration, runs each command once against every
// vault, in a rotating order, next to `mysafe version`. Load on the machine
// then slows every size alike, and the ratios (100k/1k, reveal/version, µs
// per record of list above version) carry over between machines better
// than the times do; so does each run's CPU time (user + system,
// "-cpu-ms"), which load inflates far less. It also reports the import of
// each size (wall and CPU time), the file size per record, the peak memory
// of show and reveal at the largest size, and the bytes one add writes
// there.
//
//	go test -run '^$' -bench Sizes -benchtime 20x -timeout 60m ./internal/cli/
func BenchmarkSizes(b *testing.B) {
	sizes := []int{1000, 10000, 100000}
	if s := os.Getenv("MYSAFE_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("MYSAFE_BENCH_SIZES: %q", s)
			}
			sizes = append(sizes, n)
		}
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "mysafe")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/mysafe/mysafe/cmd/mysafe").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	envs := make([][]string, len(sizes))
	// Metrics reported before the loop would be cleared when it starts.
	fillMetrics := map[string]float64{}
	for i, n := range sizes {
		env, err := fillScalingVault(bin, filepath.Join(dir, strconv.Itoa(n)), n, fillMetrics)
		if err != nil {
			b.Fatal(err)
		}
		envs[i] = env
	}
	largest := envs[len(envs)-1]
	big := sizes[len(sizes)-1]

	type command struct {
		name  string
		stdin string
		args  func(n, i int) []string
	}
	ref := func(n, i int) string { return fmt.Sprintf("svc-%05d", (i*7919)%n) }
	commands := []command{
		{"version", "", func(int, int) []string { return []string{"version"} }},
		{"show", "", func(n, i int) []string { return []string{"show", ref(n, i)} }},
		{"reveal", "", func(n, i int) []string { return []string{"reveal", ref(n, i)} }},
		{"add", "new-secret-value", func(n, i int) []string {
			return []string{"add", "api-secret", "--name", fmt.Sprintf("bench-new-%d-%d", n, i),
				"--url", "https://new.example.com", "--client-id", "c", "--client-secret-stdin"}
		}},
		{"list", "", func(int, int) []string { return []string{"list"} }},
		{"list-tag", "", func(int, int) []string { return []string{"list", "--tag", "prod", "--tag", "team7"} }},
		{"list-search", "", func(int, int) []string { return []string{"list", "--search", "RESOURCE/42"} }},
	}
	times := map[string][]time.Duration{}
	cpu := map[string][]time.Duration{} // user + system time of each run
	key := func(c string, n int) string { return fmt.Sprintf("%s-%s", c, sizeName(n)) }
	i := 0
	for b.Loop() {
		for _, c := range commands {
			for k := range sizes {
				s := (k + i) % len(sizes)
				cmd := exec.Command(bin, c.args(sizes[s], i)...)
				cmd.Env = envs[s]
				cmd.Stdin = strings.NewReader(c.stdin)
				// The output is read through a pipe and dropped, as by
				// `mysafe list | cat >/dev/null`: collecting 10 MB in
				// a growing buffer would slow the reader, and so the
				// writer, more than any terminal or pager does.
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = io.Discard, &stderr
				start := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("%v: %v\n%s", cmd.Args, err, stderr.Bytes())
				}
				k := key(c.name, sizes[s])
				times[k] = append(times[k], time.Since(start))
				cpu[k] = append(cpu[k], cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			}
		}
		i++
	}
	medianOf := func(ts []time.Duration) float64 {
		ts = slices.Clone(ts)
		slices.Sort(ts)
		return float64(ts[len(ts)/2].Microseconds()) / 1000
	}
	median := func(k string) float64 { return medianOf(times[k]) }
	cpuMedian := func(k string) float64 { return medianOf(cpu[k]) }
	small := sizes[0]
	for _, c := range commands {
		for _, n := range sizes {
			b.ReportMetric(median(key(c.name, n)), key(c.name, n)+"-ms")
			b.ReportMetric(cpuMedian(key(c.name, n)), key(c.name, n)+"-cpu-ms")
		}
		if c.name != "version" && len(sizes) > 1 {
			b.ReportMetric(median(key(c.name, big))/median(key(c.name, small)), c.name+"-"+sizeName(big)+"/"+sizeName(small))
		}
		if strings.HasPrefix(c.name, "list") {
			above := median(key(c.name, big)) - median(key("version", big))
			b.ReportMetric(above*1000/float64(big), c.name+"-"+sizeName(big)+"-us/record")
			aboveCPU := cpuMedian(key(c.name, big)) - cpuMedian(key("version", big))
			b.ReportMetric(aboveCPU*1000/float64(big), c.name+"-"+sizeName(big)+"-cpu-us/record")
		}
	}
	for _, n := range sizes {
		b.ReportMetric(median(key("reveal", n))/median(key("version", n)), "reveal/version-"+sizeName(n))
	}
	for _, c := range []string{"show", "reveal"} {
		if mib, err := peakMiB(bin, largest, c, ref(big, 1)); err == nil {
			b.ReportMetric(mib, c+"-"+sizeName(big)+"-MiB-maxrss")
		}
	}
	if n, err := addWrites(bin, largest); err == nil {
		b.ReportMetric(float64(n), "add-"+sizeName(big)+"-bytes-written")
	} else {
		b.Logf("bytes written by add: %v", err)
	}
	for unit, v := range fillMetrics {
		b.ReportMetric(v, unit)
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average at the end: %s", strings.TrimSpace(string(la)))
	}
}

func sizeName(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// fillScalingVault makes a vault of n records in dir through `mysafe
// import`, reports the import's wall and CPU time and the file size per
// record (into metrics, by unit), and returns the environment that unlocks
// it with its identity.
func fillScalingVault(bin, dir string, n int, metrics map[string]float64) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	vault := filepath.Join(dir, "vault.db")
	env := append(os.Environ(), "HOME="+dir, "MYSAFE_VAULT="+vault, "MYSAFE_CONFIG="+filepath.Join(dir, "none.yaml"),
		"XDG_STATE_HOME="+filepath.Join(dir, "state"))
	env = slices.DeleteFunc(env, func(s string) bool {
		return strings.HasPrefix(s, "MYSAFE_IDENTITY") || strings.HasPrefix(s, "MYSAFE_PASSPHRASE")
	})
	if err := os.WriteFile(filepath.Join(dir, "none.yaml"), nil, 0o600); err != nil {
		return nil, err
	}
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("benchmark passphrase\n"), 0o600); err != nil {
		return nil, err
	}
	run := func(stdin string, args ...string) (string, *os.ProcessState, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(slices.Clone(env), "MYSAFE_PASSPHRASE_FILE="+pass)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		return string(out), cmd.ProcessState, err
	}
	if _, _, err := run("", "init", "--owner", "bench"); err != nil {
		return nil, err
	}
	data := benchImportJSON(n)
	start := time.Now()
	_, st, err := run(string(data), "import", "--format", "json", "-")
	if err != nil {
		return nil, err
	}
	metrics["import-"+sizeName(n)+"-s"] = time.Since(start).Seconds()
	metrics["import-"+sizeName(n)+"-cpu-s"] = (st.UserTime() + st.SystemTime()).Seconds()
	id, _, err := run("", "identity", "export")
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(vault); err == nil {
		metrics["file-bytes/record-"+sizeName(n)] = float64(fi.Size()) / float64(n)
		// bbolt lengthens the file ahead of its data; the room it keeps
		// is a hole, which takes no disk. The disk a file takes is its
		// blocks.
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			metrics["file-disk-bytes/record-"+sizeName(n)] = float64(st.Blocks*512) / float64(n)
		}
	}
	return append(env, "MYSAFE_IDENTITY="+strings.TrimSpace(id)), nil
}

// peakMiB runs mysafe under GNU time and returns its peak resident memory.
func peakMiB(bin string, env []string, args ...string) (float64, error) {
	out, err := os.CreateTemp("", "maxrss")
	if err != nil {
		return 0, err
	}
	out.Close()
	defer os.Remove(out.Name())
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", out.Name(), bin}, args...)...)
	cmd.Env = env
	if err := cmd.Run(); err != nil {
		return 0, err
	}
	kb, err := os.ReadFile(out.Name())
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(kb)))
	return float64(n) / 1024, err
}

// addWrites returns the bytes one `mysafe add` process hands to write
// system calls (wchar): a shell runs it and then reads its own I/O
// counters, which include those of the child it has waited for. Besides
// the vault file's pages this counts the few bytes of the state file and
// of the message on stderr.
func addWrites(bin string, env []string) (int64, error) {
	cmd := exec.Command("sh", "-c", `"$0" "$@" >/dev/null 2>&1 </dev/null; cat /proc/$$/io`, bin,
		"add", "api-secret", "--name", "bench-writes", "--url", "https://new.example.com", "--client-id", "c")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no wchar in /proc/PID/io")
}
