package vault

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
)

// benchVault returns a vault holding n records shaped like real ones.
func benchVault(b testing.TB, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "vault.db")
	v, err := Create(path, CreateOptions{Owner: "alice", Passphrase: pass, ScryptWorkFactor: testWorkFactor})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	err = v.Update(func(tx *Tx) error {
		for i := range n {
			r := &secret.Record{
				Name: fmt.Sprintf("service-%05d", i), URL: fmt.Sprintf("https://api%d.example.com/v1/resource/%d", i%50, i),
				ClientID: fmt.Sprintf("client-%05d-abcdefgh", i), Identifier: fmt.Sprintf("svc-%05d", i), Method: "POST",
				Tags: []string{fmt.Sprintf("team%d", i%20), "prod"}, ClientSecret: secret.NewValue(fmt.Sprintf("%040d", i)),
				Owner: "alice", Permission: secret.PermOwner, Revision: 1,
				Access: []secret.Access{{Name: "alice", Permission: secret.PermOwner}},
			}
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return path
}

func BenchmarkLoad10k(b *testing.B) {
	path := benchVault(b, 10000)
	v, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	if err := v.UnlockWithPassphrase(pass); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := v.View(func(tx *Tx) error { _, err := tx.Records(); return err }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPut10k(b *testing.B) {
	path := benchVault(b, 10000)
	v, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	if err := v.UnlockWithPassphrase(pass); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		err := v.Update(func(tx *Tx) error {
			return tx.Put(&secret.Record{Name: "new", URL: "https://x.example", ClientID: "c", Identifier: secret.NewID()})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenFind10k is what `show` does: open the file, unlock with the
// exported identity, resolve one reference.
func BenchmarkOpenFind10k(b *testing.B) {
	path := benchVault(b, 10000)
	v, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	v.UnlockWithPassphrase(pass)
	ident := v.Identity()
	v.Close()
	b.ResetTimer()
	for b.Loop() {
		v, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := v.UnlockWithIdentity(ident); err != nil {
			b.Fatal(err)
		}
		if err := v.View(func(tx *Tx) error { _, err := tx.Find("svc-05000"); return err }); err != nil {
			b.Fatal(err)
		}
		v.Close()
	}
}

// writtenBytes is the number of bytes this process has handed to write
// system calls so far (wchar in /proc/self/io), or -1 where that is not
// available.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// BenchmarkAddWrites100k counts every byte one add writes to the vault
// file at 100,000 records: bbolt's pages, meta and free-page list, and the
// zeros that erase the freed pages. It reports the mean and the largest of
// the adds alone and of the adds with their audit log entry; the log starts
// empty.
func BenchmarkAddWrites100k(b *testing.B) { benchAddWrites(b, 0) }

// BenchmarkAddWrites100kLog100k is BenchmarkAddWrites100k with 100,000
// entries in the audit log first, as a vault that old would have: an entry
// costs its path in the log's tree, one level deeper than a short log's.
func BenchmarkAddWrites100kLog100k(b *testing.B) { benchAddWrites(b, 100000) }

func benchAddWrites(b *testing.B, logEntries int) {
	start := time.Now()
	path := benchVault(b, 100000)
	b.Logf("filling 100,000 records: %s", time.Since(start))
	v, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	if err := v.UnlockWithPassphrase(pass); err != nil {
		b.Fatal(err)
	}
	fillLog(b, v, logEntries)
	pageSize := int64(v.db.Info().PageSize)
	// Adds alternate: the record alone, and the record with its audit log
	// entry, as `mysafe add` writes it.
	var total, logged, most, over [2]int64
	b.ResetTimer()
	i := 0
	for b.Loop() {
		before := writtenBytes()
		err := v.Update(func(tx *Tx) error {
			r := &secret.Record{Name: "new-" + secret.NewID(), URL: "https://x.example", ClientID: "c",
				Identifier: secret.NewID(), ClientSecret: secret.NewValue("a new client secret of forty characters.")}
			if err := tx.Put(r); err != nil || i%2 == 0 {
				return err
			}
			return tx.Log(audit.Entry{Action: audit.Add, RecordID: r.ID, Name: r.Name, Identifier: r.Identifier,
				Actor: audit.Actor{User: "someone", Host: "a-host.example.com"}})
		})
		if err != nil {
			b.Fatal(err)
		}
		// The count holds every write of the process, the Go runtime's
		// own few bytes (waking its poller) included; the vault's writes
		// are whole pages (bbolt's pages and the erasure's zeros), so
		// whole pages are what is counted.
		n := (writtenBytes() - before) / pageSize * pageSize
		total[i%2] += n
		most[i%2] = max(most[i%2], n)
		if n > 64<<10 {
			over[i%2]++
		}
		logged[i%2]++
		i++
	}
	b.ReportMetric(float64(total[0])/float64(max(logged[0], 1)), "bytes-written/add")
	b.ReportMetric(float64(total[1])/float64(max(logged[1], 1)), "bytes-written/add+log")
	b.ReportMetric(float64(most[0]), "max-bytes-written/add")
	b.ReportMetric(float64(most[1]), "max-bytes-written/add+log")
	b.ReportMetric(float64(over[0]), "adds-over-64KiB")
	b.ReportMetric(float64(over[1]), "adds+log-over-64KiB")
}

// BenchmarkLogAppend appends one audit log entry (a reveal: the entry and
// the record's last use) to logs of different lengths, and reports the
// bytes each append writes to the file and the log's size in the file per
// entry: appending does not depend on the log's length.
func BenchmarkLogAppend(b *testing.B) {
	for _, n := range []int{0, 10000, 100000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			v, _ := newVault(b)
			defer v.Close()
			r := rec("payments", "pay")
			add(b, v, r)
			indexBytes := func() (n int) {
				v.db.View(func(btx *bolt.Tx) error {
					st := btx.Bucket(bucketIndex).Stats()
					n = st.LeafInuse + st.BranchInuse
					return nil
				})
				return n
			}
			before := indexBytes()
			e := audit.Entry{Action: audit.Reveal, RecordID: r.ID, Name: r.Name, Identifier: r.Identifier, Detail: "client-secret",
				Actor: audit.Actor{User: "someone", Host: "a-host.example.com", Job: "github:1234567890/1"}}
			if n > 0 {
				err := v.Update(func(tx *Tx) error {
					for range n {
						if err := tx.Log(e); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			var written int64
			b.ResetTimer()
			for b.Loop() {
				before := writtenBytes()
				if err := v.Update(func(tx *Tx) error { return tx.Log(e) }); err != nil {
					b.Fatal(err)
				}
				written += writtenBytes() - before
			}
			b.StopTimer()
			b.ReportMetric(float64(written)/float64(b.N), "bytes-written/append")
			// The log is kept in the index bucket: what the bucket grew by.
			b.ReportMetric(float64(indexBytes()-before)/float64(n+b.N), "file-bytes/entry")
		})
	}
}

// fillLog appends n audit log entries shaped like a reveal's in CI.
func fillLog(b testing.TB, v *Vault, n int) {
	b.Helper()
	e := audit.Entry{Action: audit.Export, Name: "payments", Identifier: "pay", Detail: "client-secret",
		Actor: audit.Actor{User: "someone", Host: "a-host.example.com", Job: "github:1234567890/1"}}
	for done := 0; done < n; done += 20000 {
		err := v.Update(func(tx *Tx) error {
			for range min(n-done, 20000) {
				if err := tx.Log(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogVerify checks a whole log of 100,000 entries, as every
// commit that changes the vault does, and reports the cost per entry.
func BenchmarkLogVerify(b *testing.B) {
	const n = 100000
	v, _ := newVault(b)
	defer v.Close()
	fillLog(b, v, n)
	b.ResetTimer()
	for b.Loop() {
		if err := v.View(func(tx *Tx) error {
			if err := tx.loadRoot(); err != nil {
				return err
			}
			return tx.verifyLog(1, tx.root.logCount)
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/entry")
}

// BenchmarkLogCommit times a whole commit (fsyncs and erasure included) of
// an add with its entry, which checks the whole log first, and of a reveal
// (an entry and the record's last use), which checks the log's end and one
// block of it, at 0, 10,000 and 100,000 entries.
func BenchmarkLogCommit(b *testing.B) {
	for _, n := range []int{0, 10000, 100000} {
		v, _ := newVault(b)
		r := rec("payments", "pay")
		add(b, v, r)
		fillLog(b, v, n)
		b.Run(fmt.Sprintf("add/entries=%d", n), func(b *testing.B) {
			for b.Loop() {
				err := v.Update(func(tx *Tx) error {
					r := &secret.Record{Name: "new-" + secret.NewID(), URL: "https://x.example", ClientID: "c",
						Identifier: secret.NewID(), ClientSecret: secret.NewValue("a new client secret")}
					if err := tx.Put(r); err != nil {
						return err
					}
					return tx.Log(audit.Entry{Action: audit.Add, RecordID: r.ID, Name: r.Name, Identifier: r.Identifier})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("reveal/entries=%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := v.Update(func(tx *Tx) error {
					return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: r.ID, Name: r.Name})
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		v.Close()
	}
}
