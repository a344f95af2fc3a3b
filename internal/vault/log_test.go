package vault

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
)

// logVault is a vault with one record and five audit log entries.
func logVault(t *testing.T) (*Vault, string, string) {
	t.Helper()
	v, path, _ := stateVault(t)
	v.actor = audit.Actor{User: "alice", Host: "laptop", Job: "github:42"}
	r := rec("payments", "pay")
	add(t, v, r)
	for i := range 5 {
		err := v.Update(func(tx *Tx) error {
			return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: r.ID, Name: r.Name, Detail: strings.Repeat("x", i)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return v, path, r.ID
}

func entries(t *testing.T, v *Vault, f audit.Filter) ([]audit.Entry, error) {
	t.Helper()
	var out []audit.Entry
	err := v.View(func(tx *Tx) error {
		return tx.Entries(f, func(e *audit.Entry) error { out = append(out, *e); return nil })
	})
	return out, err
}

func TestLogRecordsAndSetsLastUse(t *testing.T) {
	now := time.Now().Add(time.Hour).UTC()
	v, _, id := logVault(t)
	defer v.Close()
	v.now = func() time.Time { return now }
	if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Token, RecordID: id}) }); err != nil {
		t.Fatal(err)
	}
	got, err := entries(t, v, audit.Filter{})
	if err != nil || len(got) != 6 {
		t.Fatalf("%d entries, %v", len(got), err)
	}
	last := got[5]
	if last.Seq != 6 || last.Action != audit.Token || last.User != "alice" || last.Host != "laptop" || last.Job != "github:42" || !last.Time.Equal(now) {
		t.Errorf("last entry %+v", last)
	}
	v.View(func(tx *Tx) error {
		if r := mustFind(tx, "pay"); !r.LastUsedAt.Equal(now) {
			t.Errorf("last use %v, want %v", r.LastUsedAt, now)
		}
		return nil
	})
	if got, _ := entries(t, v, audit.Filter{Action: audit.Token}); len(got) != 1 {
		t.Errorf("filter by action: %d entries", len(got))
	}
	if got, _ := entries(t, v, audit.Filter{Since: now}); len(got) != 1 {
		t.Errorf("filter by time: %d entries", len(got))
	}
	// A failed transaction logs nothing.
	boom := errors.New("boom")
	v.Update(func(tx *Tx) error { tx.Log(audit.Entry{Action: audit.Edit}); return boom })
	if got, _ := entries(t, v, audit.Filter{}); len(got) != 6 {
		t.Errorf("a failed transaction left an entry: %d", len(got))
	}
	// Rotating the keys keeps the log, chained under the new key.
	if err := v.RotateKeys([]byte("new pass"), testWorkFactor); err != nil {
		t.Fatal(err)
	}
	got, err = entries(t, v, audit.Filter{})
	if err != nil || len(got) != 7 || got[5].Action != audit.Token || got[6].Action != audit.RotateKeys {
		t.Fatalf("after rotate-keys: %d entries, %v", len(got), err)
	}
	if rep, err := v.Check(false); err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", err, rep.Problems)
	}
}

// TestLogTamperingIsCaught changes the log in the raw file, as someone
// who can write the vault file but has no key could, and expects check to
// catch each change, and the next write to catch it too: even a use, as
// the log is shorter than one sweep block.
func TestLogTamperingIsCaught(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(b *bolt.Bucket)
		want   string
	}{
		{"edit", func(b *bolt.Bucket) {
			val := bytes.Clone(b.Get(logKey(3)))
			val[len(val)-20] ^= 1
			b.Put(logKey(3), val)
		}, "audit log entry 3 was changed"},
		{"edit last", func(b *bolt.Bucket) {
			val := bytes.Clone(b.Get(logKey(5)))
			val[30] ^= 1
			b.Put(logKey(5), val)
		}, "audit log entry 5 was changed"},
		{"delete", func(b *bolt.Bucket) { b.Delete(logKey(2)) }, "audit log entry 2 was removed"},
		{"reorder", func(b *bolt.Bucket) {
			a, c := bytes.Clone(b.Get(logKey(2))), bytes.Clone(b.Get(logKey(4)))
			b.Put(logKey(2), c)
			b.Put(logKey(4), a)
		}, "audit log entry 2 was changed, or moved from another place"},
		{"truncate", func(b *bolt.Bucket) { b.Delete(logKey(5)); b.Delete(logKey(4)) }, "the audit log ends at entry 3, but the vault counts 5"},
		{"append", func(b *bolt.Bucket) { b.Put(logKey(6), bytes.Clone(b.Get(logKey(1)))) }, "audit log entry 6 follows the log's last entry (5)"},
		{"empty", func(b *bolt.Bucket) {
			for i := range 5 {
				b.Delete(logKey(uint64(i + 1)))
			}
		}, "the audit log ends at entry 0, but the vault counts 5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, path, id := logVault(t)
			v.Close()
			writeRawLog(t, path, func(b *bolt.Bucket) error { c.change(b); return nil })
			v, err := reopen(t, path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := v.Check(false)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), c.want) {
				t.Errorf("check found %q, want %q", rep.Problems, c.want)
			}
			if _, err := entries(t, v, audit.Filter{}); !errors.Is(err, ErrTampered) {
				t.Errorf("reading the log: %v, want tampered", err)
			}
			before := rawBucket(t, v, bucketRecords)
			err = v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: id}) })
			if !errors.Is(err, ErrTampered) {
				t.Errorf("the next write: %v, want tampered", err)
			}
			if !bytes.Equal(before[string(mustHex(id))], rawBucket(t, v, bucketRecords)[string(mustHex(id))]) {
				t.Error("a refused write changed the record")
			}
		})
	}
}

// longLogVault is a vault with two records and a log of n entries, the
// last of which are uses of the first record.
func longLogVault(t testing.TB, n int) (v *Vault, path string, a, b *secret.Record) {
	t.Helper()
	v, path, _ = stateVault(t)
	a, b = rec("payments", "pay"), rec("billing", "bill")
	add(t, v, a)
	add(t, v, b)
	const perTx = 4096
	for done := 0; done < n; done += perTx {
		err := v.Update(func(tx *Tx) error {
			for i := done; i < min(n, done+perTx); i++ {
				e := audit.Entry{Action: audit.Export, Detail: fmt.Sprintf("entry %d", i+1)}
				if i >= n-2 {
					e = audit.Entry{Action: audit.Reveal, RecordID: a.ID, Name: a.Name}
				}
				if err := tx.Log(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return v, path, a, b
}

// TestLogMiddleTamperingRefusesWrites changes, removes, reorders and cuts
// out entries in the middle of a long log, as someone who can write the
// vault file could, and expects every command that changes the vault to
// be refused with the file unchanged to the byte. A use is refused when its
// sweep block covers the change.
func TestLogMiddleTamperingRefusesWrites(t *testing.T) {
	const n = 3*sweepBlock + 100 // four blocks; the next entry sweeps block 1
	const mid = sweepBlock + 500
	if lo, hi := sweepRange(n, n+1); lo > mid-200 || hi < mid+300 {
		t.Fatalf("the next use sweeps entries %d to %d, not the changed ones", lo, hi)
	}
	v, path, a, b := longLogVault(t, n)
	v.Close()
	clean, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tampers := []struct {
		name   string
		change func(b *bolt.Bucket) error
		want   string
	}{
		{"change", func(b *bolt.Bucket) error {
			val := bytes.Clone(b.Get(logKey(mid)))
			val[len(val)/2] ^= 1
			return b.Put(logKey(mid), val)
		}, fmt.Sprintf("audit log entry %d was changed", mid)},
		{"delete", func(b *bolt.Bucket) error { return b.Delete(logKey(mid)) }, fmt.Sprintf("audit log entry %d was removed", mid)},
		{"reorder", func(b *bolt.Bucket) error {
			x, y := bytes.Clone(b.Get(logKey(mid))), bytes.Clone(b.Get(logKey(mid+1)))
			b.Put(logKey(mid), y)
			return b.Put(logKey(mid+1), x)
		}, fmt.Sprintf("audit log entry %d was changed, or moved", mid)},
		{"cut", func(b *bolt.Bucket) error {
			// Entries cannot be renumbered without the key: a cut leaves
			// a gap.
			for i := uint64(mid - 200); i <= mid+300; i++ {
				if err := b.Delete(logKey(i)); err != nil {
					return err
				}
			}
			return nil
		}, fmt.Sprintf("audit log entry %d was removed", mid-200)},
	}
	writes := []struct {
		name string
		fn   func(tx *Tx) error
	}{
		{"add", func(tx *Tx) error {
			r := rec("new", "new")
			if err := tx.Put(r); err != nil {
				return err
			}
			return tx.Log(audit.Entry{Action: audit.Add, RecordID: r.ID})
		}},
		{"edit", func(tx *Tx) error {
			r, err := tx.Find("bill")
			if err != nil {
				return err
			}
			r.Notes = "hiding tracks"
			if err := tx.Put(r); err != nil {
				return err
			}
			return tx.Log(audit.Entry{Action: audit.Edit, RecordID: r.ID})
		}},
		{"import", func(tx *Tx) error {
			for i := range 3 {
				if err := tx.Put(rec(fmt.Sprintf("imported %d", i), "")); err != nil {
					return err
				}
			}
			return tx.Log(audit.Entry{Action: audit.Import, Detail: "3 API secrets"})
		}},
		{"edit without an entry", func(tx *Tx) error {
			r, err := tx.Find("bill")
			if err != nil {
				return err
			}
			r.Notes = "quietly"
			return tx.Put(r)
		}},
		{"rm", func(tx *Tx) error {
			if err := tx.Delete(b.ID); err != nil {
				return err
			}
			return tx.Log(audit.Entry{Action: audit.Remove, RecordID: b.ID})
		}},
		{"use, its block covering the change", func(tx *Tx) error {
			return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: a.ID})
		}},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, clean, 0o600); err != nil {
				t.Fatal(err)
			}
			writeRawLog(t, path, tc.change)
			tampered, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			v, err := reopen(t, path)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			for _, w := range writes {
				err := v.Update(w.fn)
				if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: %v, want tampered: %s", w.name, err, tc.want)
				}
				if now, _ := os.ReadFile(path); !bytes.Equal(now, tampered) {
					t.Fatalf("%s: a refused write changed the vault file", w.name)
				}
			}
		})
	}
	// The untouched log takes every write.
	if err := os.WriteFile(path, clean, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err = reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, w := range writes {
		if err := v.Update(w.fn); err != nil {
			t.Errorf("%s on an untouched log: %v", w.name, err)
		}
	}
}

// TestLogUsesSweepTheLog changes one entry of a long log and records uses
// one by one, without checking the whole log as a change does: some use
// within one full sweep of blocks finds the change, and every use after it
// is refused too (a refused use appends nothing).
func TestLogUsesSweepTheLog(t *testing.T) {
	const n = 3*sweepBlock + 100
	v, path, a, _ := longLogVault(t, n)
	v.Close()
	const changed = 2*sweepBlock + 7 // in block 2
	writeRawLog(t, path, func(b *bolt.Bucket) error {
		val := bytes.Clone(b.Get(logKey(changed)))
		val[len(val)-3] ^= 1
		return b.Put(logKey(changed), val)
	})
	v, err := reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	use := func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Copy, RecordID: a.ID}) }
	refused := -1
	for i := range 4 {
		err := v.Update(use)
		if err != nil {
			if !errors.Is(err, ErrTampered) {
				t.Fatal(err)
			}
			refused = i
			break
		}
	}
	if refused < 0 {
		t.Fatal("four uses in a row did not find the changed entry")
	}
	if err := v.Update(use); !errors.Is(err, ErrTampered) {
		t.Errorf("the use after a refused one: %v, want tampered", err)
	}
}

func TestSweepRangeCoversEveryLink(t *testing.T) {
	for _, count := range []uint64{1, 2, sweepBlock - 1, sweepBlock, sweepBlock + 1, 5*sweepBlock + 3} {
		covered := map[uint64]bool{} // link i: from entry i to i+1
		blocks := (count-1)/sweepBlock + 1
		for next := count + 1; next <= count+blocks; next++ {
			lo, hi := sweepRange(count, next)
			if lo < 1 || hi > count || hi-lo > sweepBlock {
				t.Fatalf("count %d, next %d: block %d-%d", count, next, lo, hi)
			}
			for i := lo; i < hi; i++ {
				covered[i] = true
			}
		}
		for i := uint64(1); i < count; i++ {
			if !covered[i] {
				t.Errorf("count %d: the link from entry %d is never checked", count, i)
			}
		}
	}
}

// TestLogUseThatChangesIsAChange makes sure only a use that changes
// nothing but the Last use counts as one: a transaction that changes the
// record it uses (even through the copy it read) checks the whole log,
// and a pure use leaves the freed pages for the next change to erase.
func TestLogUseThatChangesIsAChange(t *testing.T) {
	const n = 3*sweepBlock + 100
	v, path, a, _ := longLogVault(t, n)
	v.Close()
	// A change in block 3, which the next use does not sweep (block 1).
	writeRawLog(t, path, func(b *bolt.Bucket) error { return b.Delete(logKey(3*sweepBlock + 5)) })
	v, err := reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	before, _ := os.ReadFile(path)
	err = v.Update(func(tx *Tx) error {
		r, err := tx.Find(a.Identifier)
		if err != nil {
			return err
		}
		r.Notes = "changed in passing"
		return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: r.ID})
	})
	if !errors.Is(err, ErrTampered) {
		t.Fatalf("a use that changes the record: %v, want tampered", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, before) {
		t.Fatal("a refused write changed the vault file")
	}
	if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: a.ID}) }); err != nil {
		t.Fatalf("a pure use outside the changed block: %v", err)
	}
}

// TestCheckLastUseAgainstLog changes a record's Last use without the log
// entry that goes with it, as a writer with the keys could (or a bug), and
// expects check to report the mismatch; uses, removals and a record that
// was never used pass.
func TestCheckLastUseAgainstLog(t *testing.T) {
	v, _, id := logVault(t)
	defer v.Close()
	other := rec("billing", "bill")
	add(t, v, other)
	gone := rec("gone", "gone")
	add(t, v, gone)
	if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Exec, RecordID: gone.ID}) }); err != nil {
		t.Fatal(err)
	}
	if err := v.Update(func(tx *Tx) error { return tx.Delete(gone.ID) }); err != nil {
		t.Fatal(err)
	}
	if rep, err := v.Check(false); err != nil || !rep.OK() {
		t.Fatalf("check of a consistent vault: %v %q", err, rep.Problems)
	}
	setLastUse := func(id string, at time.Time) {
		t.Helper()
		err := v.Update(func(tx *Tx) error {
			key, _, err := tx.recordKey(id)
			if err != nil {
				return err
			}
			r, err := tx.record(key)
			if err != nil {
				return err
			}
			r.LastUsedAt = at
			return tx.Put(r)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		id   string
		at   time.Time
		want string
	}{
		{"moved back", id, time.Now().Add(-time.Minute), "but its last use in the audit log (entry 5) was at"},
		{"cleared", id, time.Time{}, "its Last use is never, but its last use in the audit log"},
		{"never used", other.ID, time.Now(), "but the audit log records no use of it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before time.Time
			v.View(func(tx *Tx) error {
				key, _, _ := tx.recordKey(c.id)
				r, _ := tx.record(key)
				before = r.LastUsedAt
				return nil
			})
			setLastUse(c.id, c.at)
			rep, err := v.Check(false)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rep.Problems, "\n"); len(rep.Problems) != 1 || !strings.Contains(got, c.want) || !strings.Contains(got, c.id) {
				t.Errorf("check found %q, want one problem with %q", rep.Problems, c.want)
			}
			setLastUse(c.id, before)
			if rep, _ := v.Check(false); !rep.OK() {
				t.Errorf("after putting it back: %q", rep.Problems)
			}
		})
	}
}

// writeRawLog changes the audit log's entries of the vault file at path
// directly, as someone with write access to the file could: fn gets a
// bucket holding the entries under their numbers (as a vault before root
// version 5 kept them), and whatever it holds afterwards becomes the log.
func writeRawLog(t *testing.T, path string, fn func(b *bolt.Bucket) error) {
	t.Helper()
	writeRawBucket(t, path, bucketIndex, func(index *bolt.Bucket) error {
		tmp, err := index.Tx().CreateBucket([]byte("entries under test"))
		if err != nil {
			return err
		}
		if err := takeLogEntries(index, tmp); err != nil {
			return err
		}
		if err := fn(tmp); err != nil {
			return err
		}
		if err := tmp.ForEach(func(k, v []byte) error {
			return index.Put(append([]byte{logPrefix}, k...), bytes.Clone(v))
		}); err != nil {
			return err
		}
		return index.Tx().DeleteBucket([]byte("entries under test"))
	})
}

// takeLogEntries moves the audit log's entries out of the index bucket
// into dst, under their numbers alone, as the log bucket of a vault before
// root version 5 held them.
func takeLogEntries(index, dst *bolt.Bucket) error {
	var keys [][]byte
	c := index.Cursor()
	for k, v := c.Seek([]byte{logPrefix}); k != nil && k[0] == logPrefix; k, v = c.Next() {
		keys = append(keys, bytes.Clone(k))
		if err := dst.Put(bytes.Clone(k[1:]), bytes.Clone(v)); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if err := index.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// readRawLog returns the audit log's entries of the vault file at path, by
// number, as writeRawLog shows them.
func readRawLog(t *testing.T, path string) [][2][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var kv [][2][]byte
	db.View(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketIndex).Cursor()
		for k, v := c.Seek([]byte{logPrefix}); k != nil && k[0] == logPrefix; k, v = c.Next() {
			kv = append(kv, [2][]byte{bytes.Clone(k[1:]), bytes.Clone(v)})
		}
		return nil
	})
	return kv
}
