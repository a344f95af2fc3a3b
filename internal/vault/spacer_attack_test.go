package vault

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// editIndex changes the index bucket of the vault at path with bbolt
// itself, as someone who can write the file would.
func editIndex(t *testing.T, path string, fn func(index *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(bucketIndex)) }); err != nil {
		t.Fatal(err)
	}
}

// TestIndexSpacerAttacks: the spacers after each index leaf, and the two
// keys a middle page can have, give someone who can write the file new
// places to hide things. Each change below is either harmless and
// repaired by the next write, or reported by check; none makes a command
// panic or accept changed records, and a write that meets one is refused
// as tampering, with nothing written.
func TestIndexSpacerAttacks(t *testing.T) {
	setup := func(t *testing.T) (path string, leaf int) {
		v, path := newVault(t)
		a := rec("alpha", "a")
		add(t, v, a)
		add(t, v, rec("beta", "b"))
		v.Close()
		return path, leafOf(kindRecord, string(mustHex(a.ID)))
	}
	check := func(t *testing.T, path string) *CheckReport {
		t.Helper()
		v, err := reopen(t, path)
		if err != nil {
			t.Fatalf("reading every record: %v", err)
		}
		rep, err := v.Check(false)
		v.Close()
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for _, c := range []struct {
		name   string
		edit   func(index *bolt.Bucket, leaf int) error
		report string // what check reports, "" for nothing
		refuse bool   // whether removing the record whose leaf was changed is refused
	}{
		{"spacer removed", func(ix *bolt.Bucket, n int) error { return ix.Delete(spacerKey(n, 2)) }, "", false},
		{"data in a spacer", func(ix *bolt.Bucket, n int) error { return ix.Put(spacerKey(n, 1), []byte("hidden")) }, "not part of the index", true},
		{"bucket at a spacer", func(ix *bolt.Bucket, n int) error {
			if err := ix.Delete(spacerKey(n, 3)); err != nil {
				return err
			}
			b, err := ix.CreateBucket(spacerKey(n, 3))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), bytes.Repeat([]byte("hidden"), 100))
		}, "not part of the index", true},
		{"fourth spacer", func(ix *bolt.Bucket, n int) error { return ix.Put(spacerKey(n, 4), nil) }, "not part of the index", false},
		{"spacer of a leaf that is not there", func(ix *bolt.Bucket, n int) error {
			return ix.Put(spacerKey((n+1)%numLeaves, 1), nil)
		}, "not part of the index", false},
		{"middle page under its old key too", func(ix *bolt.Bucket, n int) error {
			m := n / leavesPerMid
			return ix.Put(midKey(m, rootVersion3), ix.Get(midKey(m, rootVersion)))
		}, "not part of the index", false},
		{"many junk keys", func(ix *bolt.Bucket, n int) error {
			for i := range 20000 {
				if err := ix.Put([]byte{0x20 + byte(i>>16), byte(i >> 8), byte(i)}, nil); err != nil {
					return err
				}
			}
			return nil
		}, "not part of the index", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, leaf := setup(t)
			editIndex(t, path, func(ix *bolt.Bucket) error { return c.edit(ix, leaf) })
			rep := check(t, path)
			got := strings.Join(rep.Problems, "\n")
			if c.report == "" && !rep.OK() || c.report != "" && !strings.Contains(got, c.report) {
				t.Errorf("check reports %q, want %q", got, c.report)
			}
			// Removing alpha rewrites (or removes) its leaf and spacers: done,
			// or refused as tampering with nothing written.
			v, err := reopen(t, path)
			if err != nil {
				t.Fatal(err)
			}
			err = v.Update(func(tx *Tx) error { return tx.Delete(mustFind(tx, "alpha").ID) })
			v.Close()
			if c.refuse && !errors.Is(err, ErrTampered) || !c.refuse && err != nil {
				t.Fatalf("rm: %v (want refused: %v)", err, c.refuse)
			}
			v, err = reopen(t, path)
			if err != nil {
				t.Fatalf("after rm: %v", err)
			}
			err = v.View(func(tx *Tx) error { _, err := tx.Find("alpha"); return err })
			v.Close()
			if c.refuse != (err == nil) {
				t.Fatalf("after rm (refused: %v), finding alpha: %v", c.refuse, err)
			}
		})
	}
}

// TestCheckReportsUnknownBuckets: someone who can write the file hides
// data where mysafe never reads (a bucket of their own, a key of the meta
// or head bucket, a nested bucket, a root left in meta beside head's).
// Every command still works, and check reports each one.
func TestCheckReportsUnknownBuckets(t *testing.T) {
	hide := func(b *bolt.Bucket, k []byte) error {
		nested, err := b.CreateBucket(k)
		if err != nil {
			return err
		}
		return nested.Put([]byte("k"), []byte("hidden"))
	}
	for _, c := range []struct {
		name, report string
		edit         func(tx *bolt.Tx) error
	}{
		{"top-level bucket", `bucket "junk"`, func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("junk"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("hidden"))
		}},
		{"meta key", `meta bucket holds "junk"`, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("junk"), []byte("hidden")) }},
		{"head key", `head bucket holds "junk"`, func(tx *bolt.Tx) error { return tx.Bucket(bucketHead).Put([]byte("junk"), []byte("hidden")) }},
		{"nested bucket in meta", `meta bucket holds "junk"`, func(tx *bolt.Tx) error { return hide(tx.Bucket(bucketMeta), []byte("junk")) }},
		{"root in meta beside head", `meta bucket holds "root"`, func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keyRoot, bytes.Clone(tx.Bucket(bucketHead).Get(keyRoot)))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, path := newVault(t)
			add(t, v, rec("alpha", "a"))
			if rep, err := v.Check(false); err != nil || !rep.OK() {
				t.Fatalf("check before: %+v %v", rep, err)
			}
			v.Close()
			db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(c.edit); err != nil {
				t.Fatal(err)
			}
			db.Close()
			v, err = reopen(t, path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := v.Check(false)
			v.Close()
			if err != nil || !strings.Contains(strings.Join(rep.Problems, "\n"), c.report) {
				t.Fatalf("check: %+v %v, want a problem naming %s", rep, err, c.report)
			}
		})
	}
}
