//go:build unix

package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/importer/importertest"
	"github.com/mysafe/mysafe/internal/secret"
)

// benchEntries is the size of the files the import benchmarks read.
const benchEntries = 10000

// bwBenchExport is the same items as an unencrypted Bitwarden export.
func bwBenchExport(n int) []byte {
	items := make([]map[string]any, n)
	for i := range items {
		uri := fmt.Sprintf("https://api%d.example.com/v1/resource/%d", i%50, i)
		if i%10 == 0 {
			uri = ""
		}
		items[i] = map[string]any{
			"type": 1, "name": fmt.Sprintf("service-%05d", i), "notes": "Rotated quarterly by the platform team.",
			"login": map[string]any{"username": fmt.Sprintf("client-%05d-abcdefgh", i), "password": fmt.Sprintf("%048d", i),
				"uris": []map[string]any{{"uri": uri}}},
			"fields": []map[string]any{{"name": "identifier", "value": fmt.Sprintf("svc-%05d", i), "type": 0}},
		}
	}
	b, _ := json.Marshal(map[string]any{"encrypted": false, "folders": []any{}, "items": items})
	return b
}

// cpuTime is the CPU time this process has used, user and system: on a
// machine shared with other work it says more than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates adds the CPU time per file and the entries read per second
// of CPU time.
func reportRates(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(benchEntries*b.N)/cpu.Seconds(), "entries/cpu-s")
}

func checkBench(b *testing.B, entries []Entry) {
	if len(entries) != benchEntries || len(Valid(entries)) != benchEntries-benchEntries/10 {
		b.Fatalf("%d entries, %d valid", len(entries), len(Valid(entries)))
	}
}

// Reading and checking mysafe's own JSON: everything `import --dry-run`
// does before it prints.
func BenchmarkReadOwnJSON(b *testing.B) {
	data := importertest.OwnExport(benchEntries)
	b.SetBytes(int64(len(data)))
	start := cpuTime()
	for b.Loop() {
		items, err := secret.DecodeImportJSON(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		checkBench(b, FromItems(items, Options{}))
	}
	reportRates(b, cpuTime()-start)
}

// The same through a format of another tool, for comparison.
func BenchmarkReadBitwardenJSON(b *testing.B) {
	data := bwBenchExport(benchEntries)
	b.SetBytes(int64(len(data)))
	start := cpuTime()
	for b.Loop() {
		entries, err := Read(BitwardenJSON, Source{Name: "bw.json", Data: data}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		checkBench(b, entries)
	}
	reportRates(b, cpuTime()-start)
}
