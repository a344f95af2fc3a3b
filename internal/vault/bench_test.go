package vault

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
// zeros that erase the freed pages.
func BenchmarkAddWrites100k(b *testing.B) {
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
	var total int64
	b.ResetTimer()
	for b.Loop() {
		before := writtenBytes()
		err := v.Update(func(tx *Tx) error {
			return tx.Put(&secret.Record{Name: "new-" + secret.NewID(), URL: "https://x.example", ClientID: "c",
				Identifier: secret.NewID(), ClientSecret: secret.NewValue("a new client secret of forty characters.")})
		})
		if err != nil {
			b.Fatal(err)
		}
		total += writtenBytes() - before
	}
	b.ReportMetric(float64(total)/float64(b.N), "bytes-written/add")
}
