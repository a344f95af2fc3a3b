package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
)

// indexLayout reports the root's version, how the index of the vault at
// path keeps its middle pages (at their keys before root version 4, or
// after), how many spacers it holds, and where the audit log's entries are
// (in the log bucket, or in the index).
func indexLayout(t *testing.T, path, state, ident string) (version byte, oldMids, newMids, spacers int) {
	version, oldMids, newMids, spacers, _, _ = logLayout(t, path, state, ident)
	return version, oldMids, newMids, spacers
}

func logLayout(t *testing.T, path, state, ident string) (version byte, oldMids, newMids, spacers, inLogBucket, inIndex int) {
	t.Helper()
	v := mustOpen(t, path, Options{StateDir: state, ReadOnly: true})
	defer v.Close()
	if err := v.UnlockWithIdentity(ident); err != nil {
		t.Fatal(err)
	}
	err := v.View(func(tx *Tx) error {
		if err := tx.loadRoot(); err != nil {
			return err
		}
		version = tx.root.version
		if b := tx.btx.Bucket(bucketLog); b != nil {
			inLogBucket = b.Stats().KeyN
		}
		return tx.btx.Bucket(bucketIndex).ForEach(func(k, val []byte) error {
			switch {
			case len(k) == 9 && k[0] == logPrefix:
				inIndex++
			case len(k) == 1 && k[0] < midKeyBase:
				oldMids++
			case len(k) == 1:
				newMids++
			case len(k) == 3:
				if _, ok := isSpacer(k, val); ok {
					spacers++
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return version, oldMids, newMids, spacers, inLogBucket, inIndex
}

// TestIndexLayoutUpgrade: the committed vault written before the index's
// middle pages moved after its leaves, before leaves had spacers and
// before the audit log moved into the index (root version 3), reads as it
// is and is not changed by reading; its first write moves every middle page
// and every log entry in the same commit, gives the leaves it writes their
// spacers, and loses nothing: the log checks out and grows by the write's
// entry.
func TestIndexLayoutUpgrade(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.db")
	state := filepath.Join(dir, "state")
	copyFile(t, filepath.Join("testdata", "format2-root3", "vault.db"), path)
	ident := strings.TrimSpace(string(readFile(t, filepath.Join("testdata", "format2-root3", "identity.txt"))))

	version, oldMids, newMids, spacers, logged, _ := logLayout(t, path, state, ident)
	if version != rootVersion3 || oldMids == 0 || newMids != 0 || spacers != 0 || logged == 0 {
		t.Fatalf("fixture: root version %d, %d middle pages at old keys, %d at new ones, %d spacers, %d log entries", version, oldMids, newMids, spacers, logged)
	}
	before := readFile(t, path)
	want := map[string]string{"payments": "sk_live_fixture_payments_1", "github": "sk_fixture_github_2b"}
	got, err := openAll(path, state, ident)
	if err != nil || len(got) != len(want) || got["payments"] != want["payments"] || got["github"] != want["github"] {
		t.Fatalf("old layout: %v %v", got, err)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Fatal("reading changed the file")
	}

	v := mustOpen(t, path, Options{StateDir: state})
	if err := v.UnlockWithIdentity(ident); err != nil {
		t.Fatal(err)
	}
	err = v.Update(func(tx *Tx) error {
		r := rec("delta", "delta-id")
		if err := tx.Put(r); err != nil {
			return err
		}
		return tx.Log(audit.Entry{Action: audit.Add, RecordID: r.ID, Name: r.Name})
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Check(false)
	if err != nil || !rep.OK() || rep.Records != 3 {
		t.Fatalf("check after the upgrade: %+v %v", rep, err)
	}
	var history int
	err = v.View(func(tx *Tx) error {
		gh, err := tx.Find("gh")
		if err != nil {
			return err
		}
		vs, err := tx.History(gh.ID)
		history = len(vs)
		return err
	})
	v.Close()
	if err != nil || history == 0 {
		t.Fatalf("the edited record's history: %d versions, %v", history, err)
	}
	version, oldMids2, newMids, spacers, inBucket, inIndex := logLayout(t, path, state, ident)
	if version != rootVersion || oldMids2 != 0 || newMids < oldMids || spacers < spacersPerLeaf {
		t.Fatalf("after a write: root version %d, %d middle pages at old keys, %d at new ones (had %d), %d spacers", version, oldMids2, newMids, oldMids, spacers)
	}
	if inBucket != 0 || inIndex != logged+1 {
		t.Fatalf("after a write: %d log entries in the log bucket, %d in the index, want 0 and %d", inBucket, inIndex, logged+1)
	}
	want["delta"] = "s3cret-delta"
	got, err = openAll(path, state, ident)
	if err != nil || len(got) != len(want) || got["payments"] != want["payments"] || got["github"] != want["github"] || got["delta"] != want["delta"] {
		t.Fatalf("after the upgrade: %v %v", got, err)
	}
}

// TestLogMovesIntoIndex: a vault of root version 4 (middle pages after the
// leaves, the audit log in a bucket of its own) reads as it is, and its
// next write moves the log's entries into the index in the same commit;
// a log bucket next to a log in the index is reported by check.
func TestLogMovesIntoIndex(t *testing.T) {
	v, path, state := stateVault(t)
	ident := v.Identity()
	for _, n := range []string{"alpha", "beta"} {
		r := rec(n, n+"-id")
		add(t, v, r)
		if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: r.ID}) }); err != nil {
			t.Fatal(err)
		}
	}
	// Back to version 4: the entries in a log bucket, the root saying so.
	err := v.db.Update(func(btx *bolt.Tx) error {
		tx := newTx(v, btx, v.keys)
		if err := tx.loadRoot(); err != nil {
			return err
		}
		old, err := btx.CreateBucket(bucketLog)
		if err != nil {
			return err
		}
		if err := takeLogEntries(btx.Bucket(bucketIndex), old); err != nil {
			return err
		}
		r := tx.root.marshal()
		r[0] = rootVersion4
		return btx.Bucket(bucketHead).Put(keyRoot, tx.k.root.seal(bucketMeta, keyRoot, r))
	})
	v.Close()
	if err != nil {
		t.Fatal(err)
	}
	version, _, _, _, inBucket, inIndex := logLayout(t, path, state, ident)
	if version != rootVersion4 || inBucket != 2 || inIndex != 0 {
		t.Fatalf("version 4: root version %d, %d entries in the log bucket, %d in the index", version, inBucket, inIndex)
	}
	v = mustOpen(t, path, Options{StateDir: state})
	if err := v.UnlockWithIdentity(ident); err != nil {
		t.Fatal(err)
	}
	if rep, err := v.Check(false); err != nil || !rep.OK() {
		t.Fatalf("check of version 4: %+v %v", rep, err)
	}
	add(t, v, rec("gamma", "gamma-id"))
	if rep, err := v.Check(false); err != nil || !rep.OK() || rep.Records != 3 {
		t.Fatalf("check after the move: %+v %v", rep, err)
	}
	var n int
	err = v.View(func(tx *Tx) error {
		return tx.Entries(audit.Filter{}, func(*audit.Entry) error { n++; return nil })
	})
	v.Close()
	if err != nil || n != 2 {
		t.Fatalf("after the move: %d entries, %v", n, err)
	}
	version, _, _, _, inBucket, inIndex = logLayout(t, path, state, ident)
	if version != rootVersion || inBucket != 0 || inIndex != 2 {
		t.Fatalf("after a write: root version %d, %d entries in the log bucket, %d in the index", version, inBucket, inIndex)
	}
	v = mustOpen(t, path, Options{StateDir: state})
	defer v.Close()
	if err := v.UnlockWithIdentity(ident); err != nil {
		t.Fatal(err)
	}

	// Someone adds a log bucket to the vault: it is not read, and check
	// reports it.
	if err := v.db.Update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucket(bucketLog)
		if err != nil {
			return err
		}
		return b.Put(logKey(1), []byte("forged"))
	}); err != nil {
		t.Fatal(err)
	}
	if rep, err := v.Check(false); err != nil || rep.OK() {
		t.Fatalf("check missed the log bucket: %+v %v", rep, err)
	}
}

// TestNewerVaultIsNamed: a vault written by a newer mysafe, in a format or
// with an index version this one does not know, is refused as such (not as
// damaged, not as a stranger's file), and nothing is written to it.
func TestNewerVaultIsNamed(t *testing.T) {
	for _, c := range []struct {
		name   string
		format string
		root   byte
		want   error
	}{
		{"format 3", "mysafe-vault-3", 0, ErrNewer},
		{"format 10", "mysafe-vault-10", 0, ErrNewer},
		{"format x", "mysafe-vault-x", 0, ErrNotVault},
		{"format 0", "mysafe-vault-0", 0, ErrNotVault},
		{"index version", "", rootVersion + 1, ErrNewer},
		{"index version 255", "", 255, ErrNewer},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, path := newVault(t)
			add(t, v, rec("alpha", "alpha-id"))
			err := v.db.Update(func(btx *bolt.Tx) error {
				if c.format != "" {
					return btx.Bucket(bucketMeta).Put(keyFormat, []byte(c.format))
				}
				tx := newTx(v, btx, v.keys)
				if err := tx.loadRoot(); err != nil {
					return err
				}
				r := tx.root.marshal()
				r[0] = c.root
				return btx.Bucket(bucketHead).Put(keyRoot, tx.k.root.seal(bucketMeta, keyRoot, r))
			})
			v.Close()
			if err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			v, err = Open(path, Options{})
			if err == nil {
				defer v.Close()
				if err = v.UnlockWithPassphrase(pass); err == nil {
					err = v.Update(func(tx *Tx) error { return tx.Put(rec("beta", "beta-id")) })
				}
			}
			if !errors.Is(err, c.want) || errors.Is(err, ErrTampered) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the vault changed")
			}
		})
	}
}
