package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkProcessRevealLog times `mysafe reveal` two ways in the same run,
// alternately, against copies of the benchmark vault: one it can write, so
// each reveal appends its audit log entry (and the last use), and one this
// user may only read (0400), so nothing is recorded. It reports the
// medians of wall time and of CPU time (user and system) both ways, their
// ratios (logged / not logged), and the bytes the log takes
// in the file per entry (bbolt's pages for the log bucket, values with
// their page headers, divided by the number of entries).
//
// Run as root, the children run as user 65534 (file modes do not stop
// root), both ways alike.
func BenchmarkProcessRevealLog(b *testing.B) {
	benchSetup(b)
	dir, err := os.MkdirTemp("", "msbench-log")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "mysafe")
	cp := func(from, to string, mode os.FileMode) {
		data, err := os.ReadFile(from)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(to, data, mode); err != nil {
			b.Fatal(err)
		}
		os.Chmod(to, mode)
	}
	cp(benchBin, bin, 0o755)
	var vault string
	for _, kv := range benchEnv {
		if v, ok := strings.CutPrefix(kv, "MYSAFE_VAULT="); ok {
			vault = v
		}
	}
	rw, ro := filepath.Join(dir, "rw.db"), filepath.Join(dir, "ro.db")
	cp(vault, rw, 0o600)
	cp(vault, ro, 0o400)
	cfg := filepath.Join(dir, "none.yaml")
	cp(os.DevNull, cfg, 0o600)
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		os.Chmod(dir, 0o700)
		for _, p := range []string{dir, bin, rw, ro, cfg} {
			if err := os.Chown(p, 65534, 65534); err != nil {
				b.Fatal(err)
			}
		}
	}
	base := slices.DeleteFunc(slices.Clone(benchEnv), func(s string) bool {
		return strings.HasPrefix(s, "HOME=") || strings.HasPrefix(s, "MYSAFE_VAULT=") || strings.HasPrefix(s, "MYSAFE_CONFIG=") ||
			strings.HasPrefix(s, "XDG_")
	})
	base = append(base, "HOME="+dir, "MYSAFE_CONFIG="+cfg)
	// Each copy has a rollback guard of its own: the writable copy moves on
	// from the generation both started at.
	logged := append(slices.Clone(base), "MYSAFE_VAULT="+rw, "XDG_STATE_HOME="+filepath.Join(dir, "state-rw"))
	unlogged := append(slices.Clone(base), "MYSAFE_VAULT="+ro, "XDG_STATE_HOME="+filepath.Join(dir, "state-ro"))
	// timed returns a run's wall time and CPU time (user and system).
	timed := func(env []string, a []string, wantNote bool) (wall, cpu time.Duration) {
		cmd := exec.Command(bin, a...)
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		t0 := time.Now()
		if out, err := cmd.Output(); err != nil {
			b.Fatalf("%v: %v\n%s%s", a, err, out, stderr.String())
		}
		wall = time.Since(t0)
		if got := strings.Contains(stderr.String(), "not recorded"); got != wantNote {
			b.Fatalf("%v: said it was not recorded: %v, want %v (%s)", a, got, wantNote, stderr.String())
		}
		return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var withLog, without, withLogCPU, withoutCPU []time.Duration
	run := func(logged bool, env []string, a []string) {
		w, c := timed(env, a, !logged)
		if logged {
			withLog, withLogCPU = append(withLog, w), append(withLogCPU, c)
		} else {
			without, withoutCPU = append(without, w), append(withoutCPU, c)
		}
	}
	i := 0
	for b.Loop() {
		a := []string{"reveal", fmt.Sprintf("svc-%05d", (i*7919)%benchRecords)}
		if i%2 == 0 {
			run(true, logged, a)
			run(false, unlogged, a)
		} else {
			run(false, unlogged, a)
			run(true, logged, a)
		}
		i++
	}
	median := func(ts []time.Duration) float64 {
		slices.Sort(ts)
		return float64(ts[len(ts)/2].Microseconds()) / 1000
	}
	lm, um := median(withLog), median(without)
	b.ReportMetric(lm, "logged-ms/median")
	b.ReportMetric(um, "unlogged-ms/median")
	b.ReportMetric(lm/um, "logged/unlogged")
	lc, uc := median(withLogCPU), median(withoutCPU)
	b.ReportMetric(lc, "logged-cpu-ms/median")
	b.ReportMetric(uc, "unlogged-cpu-ms/median")
	b.ReportMetric(lc/uc, "cpu-logged/unlogged")

	db, err := bolt.Open(rw, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		// The log's entries are in the index, under 0x30 and their number.
		c := tx.Bucket([]byte("index")).Cursor()
		var n, values, inUse int
		for k, v := c.Seek([]byte{0x30}); k != nil && k[0] == 0x30; k, v = c.Next() {
			n++
			values += len(v)
			inUse += 16 + len(k) + len(v) // bbolt's element header, key, value
		}
		if n == 0 {
			b.Fatal("no audit log in the vault")
		}
		b.ReportMetric(float64(inUse)/float64(n), "log-bytes/entry")
		b.ReportMetric(float64(values)/float64(n), "sealed-bytes/entry")
		return nil
	})
}
