package vault

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// indexLayout reports the root's version and how the index of the vault
// at path keeps its middle pages (at their keys before root version 4, or
// after) and how many spacers it holds.
func indexLayout(t *testing.T, path, state, ident string) (version byte, oldMids, newMids, spacers int) {
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
		return tx.btx.Bucket(bucketIndex).ForEach(func(k, val []byte) error {
			switch {
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
	return version, oldMids, newMids, spacers
}

// TestIndexLayoutUpgrade: the committed vault written before the index's
// middle pages moved after its leaves, and before leaves had spacers (root
// version 3), reads as it is and is not changed by reading; its first
// write moves every middle page in the same commit, gives the leaves it
// writes their spacers, and loses nothing.
func TestIndexLayoutUpgrade(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.db")
	state := filepath.Join(dir, "state")
	copyFile(t, filepath.Join("testdata", "format2-root3", "vault.db"), path)
	ident := strings.TrimSpace(string(readFile(t, filepath.Join("testdata", "format2-root3", "identity.txt"))))

	version, oldMids, newMids, spacers := indexLayout(t, path, state, ident)
	if version != rootVersion3 || oldMids == 0 || newMids != 0 || spacers != 0 {
		t.Fatalf("fixture: root version %d, %d middle pages at old keys, %d at new ones, %d spacers", version, oldMids, newMids, spacers)
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
	add(t, v, rec("delta", "delta-id"))
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
	version, oldMids2, newMids, spacers := indexLayout(t, path, state, ident)
	if version != rootVersion || oldMids2 != 0 || newMids < oldMids || spacers < spacersPerLeaf {
		t.Fatalf("after a write: root version %d, %d middle pages at old keys, %d at new ones (had %d), %d spacers", version, oldMids2, newMids, oldMids, spacers)
	}
	want["delta"] = "s3cret-delta"
	got, err = openAll(path, state, ident)
	if err != nil || len(got) != len(want) || got["payments"] != want["payments"] || got["github"] != want["github"] || got["delta"] != want["delta"] {
		t.Fatalf("after the upgrade: %v %v", got, err)
	}
}
