package vault

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
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
// catch each change, and the next write to catch those at the end.
func TestLogTamperingIsCaught(t *testing.T) {
	for _, c := range []struct {
		name    string
		change  func(b *bolt.Bucket)
		want    string
		atWrite bool // caught by the next command that writes, too
	}{
		{"edit", func(b *bolt.Bucket) {
			val := bytes.Clone(b.Get(logKey(3)))
			val[len(val)-20] ^= 1
			b.Put(logKey(3), val)
		}, "audit log entry 3 was changed", false},
		{"edit last", func(b *bolt.Bucket) {
			val := bytes.Clone(b.Get(logKey(5)))
			val[30] ^= 1
			b.Put(logKey(5), val)
		}, "audit log entry 5 was changed", true},
		{"delete", func(b *bolt.Bucket) { b.Delete(logKey(2)) }, "audit log entry 2 was removed", false},
		{"reorder", func(b *bolt.Bucket) {
			a, c := bytes.Clone(b.Get(logKey(2))), bytes.Clone(b.Get(logKey(4)))
			b.Put(logKey(2), c)
			b.Put(logKey(4), a)
		}, "audit log entry 2 was changed, or moved from another place", false},
		{"truncate", func(b *bolt.Bucket) { b.Delete(logKey(5)); b.Delete(logKey(4)) }, "the audit log ends at entry 3, but the vault counts 5", true},
		{"append", func(b *bolt.Bucket) { b.Put(logKey(6), bytes.Clone(b.Get(logKey(1)))) }, "audit log entry 6 follows the log's last entry (5)", true},
		{"empty", func(b *bolt.Bucket) {
			for i := range 5 {
				b.Delete(logKey(uint64(i + 1)))
			}
		}, "the audit log ends at entry 0, but the vault counts 5", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, path, id := logVault(t)
			v.Close()
			writeRawBucket(t, path, bucketLog, func(b *bolt.Bucket) error { c.change(b); return nil })
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
			if c.atWrite != errors.Is(err, ErrTampered) {
				t.Errorf("the next write: %v, want tampered %v", err, c.atWrite)
			}
			if c.atWrite && !bytes.Equal(before[string(mustHex(id))], rawBucket(t, v, bucketRecords)[string(mustHex(id))]) {
				t.Error("a refused write changed the record")
			}
		})
	}
}
