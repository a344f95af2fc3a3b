package vault

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/secret"
)

// edit changes a record in its own transaction.
func edit(t *testing.T, v *Vault, ref string, fn func(r *secret.Record)) {
	t.Helper()
	if err := v.Update(func(tx *Tx) error {
		r := mustFind(tx, ref)
		fn(r)
		return tx.Put(r)
	}); err != nil {
		t.Fatal(err)
	}
}

func versionsOf(t *testing.T, v *Vault, id string) []Version {
	t.Helper()
	var h []Version
	if err := v.View(func(tx *Tx) (err error) { h, err = tx.History(id); return err }); err != nil {
		t.Fatal(err)
	}
	return h
}

func versionNumbers(h []Version) []int {
	var out []int
	for _, e := range h {
		out = append(out, e.N)
	}
	return out
}

func TestVersionsKeepEveryChange(t *testing.T) {
	v, _ := newVault(t)
	defer v.Close()
	r := rec("payments", "pay")
	add(t, v, r)
	if h := versionsOf(t, v, r.ID); len(h) != 1 || h[0].N != 1 || !h[0].Current {
		t.Fatalf("a new record's history = %+v, want version 1 only", h)
	}
	edit(t, v, "pay", func(r *secret.Record) {
		r.URL = "https://api.example.com/v2"
		r.ClientSecret = secret.NewValue("second")
	})
	// A new last use is not a new version.
	edit(t, v, "pay", func(r *secret.Record) { r.LastUsedAt = v.now() })
	err := v.Update(func(tx *Tx) error {
		tx.SetChange(Change{By: "bob", Note: "bundle"})
		r := mustFind(tx, "pay")
		r.Tags = []string{"prod"}
		return tx.Put(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	h := versionsOf(t, v, r.ID)
	if got := versionNumbers(h); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("versions %v, want 1 2 3", got)
	}
	if !slices.Equal(h[1].Changed, []string{"url", "client-secret"}) || h[1].By != "" {
		t.Errorf("version 2 = %+v, want url and client-secret changed by the owner", h[1])
	}
	if !slices.Equal(h[2].Changed, []string{"tags"}) || h[2].By != "bob" || h[2].Note != "bundle" || !h[2].Current {
		t.Errorf("version 3 = %+v, want tags changed by bob's bundle", h[2])
	}
	err = v.View(func(tx *Tx) error {
		v1, err := tx.Version(r.ID, 1)
		if err != nil {
			return err
		}
		if v1.URL != "https://api.example.com" || v1.ClientSecret.Reveal() != "s3cret-payments" || len(v1.Tags) != 0 {
			t.Errorf("version 1 = %+v %q", v1, v1.ClientSecret.Reveal())
		}
		var nf *VersionNotFoundError
		if _, err := tx.Version(r.ID, 7); !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
			t.Errorf("version 7: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Restore: version 1's content becomes version 4.
	err = v.Update(func(tx *Tx) error {
		old, err := tx.Version(r.ID, 1)
		if err != nil {
			return err
		}
		cur := mustFind(tx, "pay")
		cur.SetContent(old)
		return tx.Put(cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = v.View(func(tx *Tx) error {
		cur := mustFind(tx, "pay")
		if cur.URL != "https://api.example.com" || cur.ClientSecret.Reveal() != "s3cret-payments" || len(cur.Tags) != 0 {
			t.Errorf("restored record = %+v", cur)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if h := versionsOf(t, v, r.ID); !slices.Equal(h[3].Changed, []string{"url", "client-secret", "tags"}) {
		t.Errorf("version 4 changed %v", h[3].Changed)
	}
	rep, err := v.Check(false)
	if err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", err, rep.Problems)
	}
}

func TestVersionLimitAndPrune(t *testing.T) {
	v, _ := newVault(t)
	defer v.Close()
	v.maxVersions = 3
	r := rec("payments", "pay")
	add(t, v, r)
	for i := range 6 {
		edit(t, v, "pay", func(r *secret.Record) { r.Notes = string(rune('a' + i)) })
	}
	if got := versionNumbers(versionsOf(t, v, r.ID)); !slices.Equal(got, []int{4, 5, 6, 7}) {
		t.Fatalf("versions %v, want the current one (7) and 3 before it", got)
	}
	var n int
	if err := v.Update(func(tx *Tx) (err error) { n, err = tx.PruneHistory(r.ID); return err }); err != nil || n != 3 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	if got := versionNumbers(versionsOf(t, v, r.ID)); !slices.Equal(got, []int{7}) {
		t.Fatalf("after prune: versions %v, want 7", got)
	}
	edit(t, v, "pay", func(r *secret.Record) { r.Notes = "after prune" })
	if got := versionNumbers(versionsOf(t, v, r.ID)); !slices.Equal(got, []int{7, 8}) {
		t.Fatalf("numbers go on after a prune: %v", got)
	}
	v.maxVersions = -1
	edit(t, v, "pay", func(r *secret.Record) { r.Notes = "no history" })
	if got := versionNumbers(versionsOf(t, v, r.ID)); !slices.Equal(got, []int{9}) {
		t.Fatalf("with no versions kept: %v", got)
	}
	if rep, err := v.Check(false); err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", err, rep.Problems)
	}
}

// TestVersionsAreErased searches the raw file for the sealed versions that
// a limit, a prune and an rm dropped, and for the plain text they held.
func TestVersionsAreErased(t *testing.T) {
	v, path, _ := stateVault(t)
	defer v.Close()
	v.maxVersions = 2
	r := rec("payments", "pay")
	add(t, v, r)
	versionsNow := func() [][]byte {
		var out [][]byte
		for _, val := range rawBucket(t, v, bucketVersions) {
			out = append(out, val)
		}
		return out
	}
	gone := func(t *testing.T, vals [][]byte) {
		t.Helper()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		live := map[string]bool{}
		for _, val := range versionsNow() {
			live[string(val)] = true
		}
		n := 0
		for _, val := range vals {
			if live[string(val)] {
				continue
			}
			n++
			if bytes.Contains(raw, val[len(val)-32:]) {
				t.Errorf("a dropped version (%d bytes) is still in the file", len(val))
			}
		}
		if n == 0 {
			t.Fatal("nothing was dropped")
		}
	}
	for i := range 3 {
		edit(t, v, "pay", func(r *secret.Record) { r.ClientSecret = secret.NewValue("secret number " + string(rune('0'+i))) })
	}
	t.Run("limit", func(t *testing.T) {
		before := versionsNow()
		edit(t, v, "pay", func(r *secret.Record) { r.ClientSecret = secret.NewValue("secret number 3") })
		gone(t, before)
	})
	t.Run("prune", func(t *testing.T) {
		before := versionsNow()
		if err := v.Update(func(tx *Tx) error { _, err := tx.PruneHistory(r.ID); return err }); err != nil {
			t.Fatal(err)
		}
		gone(t, before)
	})
	t.Run("rm", func(t *testing.T) {
		edit(t, v, "pay", func(r *secret.Record) { r.ClientSecret = secret.NewValue("secret number 4") })
		before := versionsNow()
		if err := v.Update(func(tx *Tx) error { return tx.Delete(r.ID) }); err != nil {
			t.Fatal(err)
		}
		if len(versionsNow()) != 0 {
			t.Fatal("rm left versions")
		}
		gone(t, before)
	})
}

// rawBucket returns copies of a bucket's values, by key.
func rawBucket(t *testing.T, v *Vault, bucket []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := v.db.View(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, val []byte) error {
			out[string(k)] = bytes.Clone(val)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTamperedVersionsAreCaught(t *testing.T) {
	v, path := newVault(t)
	r := rec("payments", "pay")
	add(t, v, r)
	edit(t, v, "pay", func(r *secret.Record) { r.ClientSecret = secret.NewValue("second") })
	edit(t, v, "pay", func(r *secret.Record) { r.ClientSecret = secret.NewValue("third") })
	key := string(mustHex(r.ID))
	v1, v2 := versionKey(key, 1), versionKey(key, 2)
	v.Close()
	// An attacker swaps the two kept versions.
	writeRawBucket(t, path, bucketVersions, func(b *bolt.Bucket) error {
		a, c := bytes.Clone(b.Get(v1)), bytes.Clone(b.Get(v2))
		b.Put(v1, c)
		return b.Put(v2, a)
	})
	v, err := reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	err = v.View(func(tx *Tx) error { _, err := tx.Version(r.ID, 1); return err })
	if !errors.Is(err, ErrTampered) {
		t.Fatalf("a swapped version: %v, want tampered", err)
	}
	if rep, err := v.Check(false); err != nil || rep.OK() {
		t.Fatalf("check passed a swapped version: %v", err)
	}
}

func writeRawBucket(t *testing.T, path string, bucket []byte, fn func(b *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(btx *bolt.Tx) error { return fn(btx.Bucket(bucket)) }); err != nil {
		t.Fatal(err)
	}
}
