package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
)

// stateVault is newVault with a rollback guard.
func stateVault(t testing.TB) (*Vault, string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.db")
	state := filepath.Join(dir, "state")
	v, err := Create(path, CreateOptions{Options: Options{StateDir: state}, Owner: "alice", Passphrase: pass, ScryptWorkFactor: testWorkFactor})
	if err != nil {
		t.Fatal(err)
	}
	return v, path, state
}

// openAll opens path, unlocks it with identity and reads every record with
// its client secret, as `export` would.
func openAll(path, state, identity string) (map[string]string, error) {
	v, err := Open(path, Options{StateDir: state, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer v.Close()
	if err := v.UnlockWithIdentity(identity); err != nil {
		return nil, err
	}
	out := map[string]string{}
	err = v.View(func(tx *Tx) error {
		recs, err := tx.Records()
		for _, r := range recs {
			out[r.Name] = r.ClientSecret.Reveal()
		}
		return err
	})
	return out, err
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestUpgradeFromFormat1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.db")
	copyFile(t, "testdata/format1/vault.db", path)
	ident, _ := os.ReadFile("testdata/format1/identity.txt")
	var want []struct {
		ID, Name, Identifier string
	}
	b, _ := os.ReadFile("testdata/format1/list.json")
	if err := json.Unmarshal(b, &want); err != nil || len(want) != 2 {
		t.Fatalf("fixture: %v", err)
	}

	v, err := Open(path, Options{ReadOnly: true, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.UnlockWithIdentity(string(ident)); err != nil {
		t.Fatal(err)
	}
	if v.UpgradedFrom() != path+OldCopySuffix {
		t.Fatalf("old copy %q", v.UpgradedFrom())
	}
	db, err := bolt.Open(path+OldCopySuffix, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(btx *bolt.Tx) error {
		if f := string(btx.Bucket(bucketMeta).Get(keyFormat)); f != formatV1 || btx.Bucket(bucketRecords).Stats().KeyN != 2 {
			t.Errorf("the kept copy is not the format-1 vault (%s)", f)
		}
		return nil
	})
	db.Close()
	if fi, _ := os.Stat(path + OldCopySuffix); fi.Mode().Perm() != 0o600 {
		t.Fatalf("old copy mode %v", fi.Mode().Perm())
	}
	secrets := map[string]string{"payments": "sk_live_fixture_payments_1", "github": "sk_fixture_github_2"}
	err = v.View(func(tx *Tx) error {
		for _, w := range want {
			r, err := tx.Find(w.Identifier)
			if err != nil {
				return err
			}
			if r.ID != w.ID || r.Name != w.Name || r.ClientSecret.Reveal() != secrets[w.Name] {
				return fmt.Errorf("record %s: got %s %s", w.Name, r.ID, r.Name)
			}
		}
		if _, err := tx.Find("old-one"); !errors.Is(err, secret.ErrNotFound) {
			return fmt.Errorf("removed record: %v", err)
		}
		p, err := tx.Profile()
		if err != nil || p.Owner != "alice" {
			return fmt.Errorf("profile: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The passphrase seal is kept as it was (so the passphrase still
	// works; trying it costs scrypt's 256 MiB), and a clean check removes
	// the old copy.
	seal, err := v.metaValue(keyIdentity)
	if err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(path+OldCopySuffix, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(btx *bolt.Tx) error {
		if !bytes.Equal(btx.Bucket(bucketMeta).Get(keyIdentity), seal) {
			t.Error("the upgrade changed the passphrase seal")
		}
		return nil
	})
	db.Close()
	rep, err := v.Check(false)
	if err != nil || !rep.OK() || rep.Records != 2 || rep.OldCopy == "" {
		t.Fatalf("check: %+v %v", rep, err)
	}
	if _, err := os.Stat(path + OldCopySuffix); !os.IsNotExist(err) {
		t.Fatal("old copy kept after a clean check")
	}
}

func mustOpen(t testing.TB, path string, o Options) *Vault {
	t.Helper()
	v, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func TestRollbackIsRefused(t *testing.T) {
	t.Run("old copy put back", func(t *testing.T) {
		v, path, state := stateVault(t)
		ident := v.Identity()
		a := rec("alpha", "a")
		add(t, v, a)
		copyFile(t, path, path+".old")
		a.ClientSecret = secret.NewValue("rotated")
		add(t, v, a)
		add(t, v, rec("beta", "b"))
		v.Close()
		copyFile(t, path+".old", path)
		_, err := openAll(path, state, ident)
		var rb *RollbackError
		if !errors.As(err, &rb) || !errors.Is(err, ErrTampered) || rb.Found >= rb.Seen {
			t.Fatalf("old copy: %v, want RollbackError", err)
		}
		// Accepting it, deliberately, lets it open.
		v = mustOpen(t, path, Options{StateDir: state})
		v.UnlockWithIdentity(ident)
		if rep, err := v.Check(false); err != nil || rep.OK() {
			t.Fatalf("check without accepting: %+v %v", rep, err)
		}
		if rep, err := v.Check(true); err != nil || !rep.OK() || !rep.Accepted {
			t.Fatalf("check --accept-rollback: %+v %v", rep, err)
		}
		v.Close()
		got, err := openAll(path, state, ident)
		if err != nil || got["alpha"] != "s3cret-alpha" {
			t.Fatalf("after accepting: %v %v", got, err)
		}
	})
	t.Run("newest meta page damaged", func(t *testing.T) {
		v, path, state := stateVault(t)
		ident := v.Identity()
		a := rec("alpha", "a")
		add(t, v, a)
		a.ClientSecret = secret.NewValue("rotated")
		add(t, v, a)
		v.Close()
		damageNewestMeta(t, path)
		got, err := openAll(path, state, ident)
		if err == nil {
			t.Fatalf("damaged meta opened: %v", got)
		}
		if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrTampered) && !errors.Is(err, ErrNotVault) {
			t.Fatalf("damaged meta: %v", err)
		}
	})
	t.Run("old content grafted under the current seal", func(t *testing.T) {
		for _, passwd := range []bool{false, true} {
			v, path, state := stateVault(t)
			ident := v.Identity()
			add(t, v, rec("alpha", "a"))
			copyFile(t, path, path+".old")
			if passwd {
				if err := v.ChangePassphrase([]byte("new pass"), testWorkFactor); err != nil {
					t.Fatal(err)
				}
			}
			if err := v.Update(func(tx *Tx) error { return tx.Delete(mustFind(tx, "alpha").ID) }); err != nil {
				t.Fatal(err)
			}
			v.Close()
			graft(t, path+".old", path)
			_, err := openAll(path, state, ident)
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("graft (passwd %v): %v, want ErrTampered", passwd, err)
			}
		}
	})
}

func mustFind(tx *Tx, ref string) *secret.Record {
	r, err := tx.Find(ref)
	if err != nil {
		panic(err)
	}
	return r
}

// graft copies every bucket of from but the sealed identity, data key,
// vault id and public keys into to, as someone with an old copy and write
// access could.
func graft(t *testing.T, from, to string) {
	t.Helper()
	src, err := bolt.Open(from, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := bolt.Open(to, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	err = src.View(func(stx *bolt.Tx) error {
		return dst.Update(func(dtx *bolt.Tx) error {
			for _, name := range [][]byte{bucketRecords, bucketSecrets, bucketIndex, bucketData} {
				dtx.DeleteBucket(name)
				if stx.Bucket(name) == nil {
					continue
				}
				b, _ := dtx.CreateBucket(name)
				stx.Bucket(name).ForEach(func(k, v []byte) error { return b.Put(k, v) })
			}
			// The root, wherever the old copy kept it.
			dtx.DeleteBucket(bucketHead)
			if sh := stx.Bucket(bucketHead); sh != nil {
				h, _ := dtx.CreateBucket(bucketHead)
				h.Put(keyRoot, sh.Get(keyRoot))
			}
			if r := stx.Bucket(bucketMeta).Get(keyRoot); r != nil {
				return dtx.Bucket(bucketMeta).Put(keyRoot, r)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// damageNewestMeta flips one byte of the meta page with the highest txid.
func damageNewestMeta(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 8192)
	io.ReadFull(f, page)
	m0, _ := parseMeta(page[:4096])
	m1, _ := parseMeta(page[4096:])
	off := int64(pageHeaderSize + 48) // inside the txid
	if m1.txid > m0.txid {
		off += 4096
	}
	b := []byte{page[off] ^ 0x01}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// liveValues returns every value in the vault's buckets.
func liveValues(t *testing.T, v *Vault) [][]byte {
	t.Helper()
	var out [][]byte
	v.db.View(func(btx *bolt.Tx) error {
		return btx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			return b.ForEach(func(_, val []byte) error {
				out = append(out, bytes.Clone(val))
				return nil
			})
		})
	})
	return out
}

// leftTheFile checks that no value of before that is no longer in the
// vault's live tree is left anywhere in the file at path, and returns how
// many left the tree.
func leftTheFile(t *testing.T, v *Vault, path string, before [][]byte) (gone int) {
	t.Helper()
	live := map[string]bool{}
	for _, val := range liveValues(t, v) {
		live[string(val)] = true
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, val := range before {
		if live[string(val)] || len(val) < 32 {
			continue
		}
		gone++
		// The last bytes (ciphertext and authentication tag) are unique
		// to the value: finding them means a copy is left. (Sealed
		// identities all begin with the same age header.)
		if bytes.Contains(raw, val[len(val)-32:]) {
			t.Errorf("a value that left the tree (%d bytes) is still in the file", len(val))
		}
	}
	return gone
}

// TestDeletedValuesAreErased records every value in the live tree, makes
// changes, and searches the raw file for every value that left the tree.
func TestDeletedValuesAreErased(t *testing.T) {
	v, path, _ := stateVault(t)
	a, b := rec("alpha", "a"), rec("beta", "b")
	add(t, v, a)
	add(t, v, b)
	for range 20 {
		add(t, v, rec(secret.NewID(), ""))
	}
	check := func(t *testing.T, before [][]byte, change func()) {
		t.Helper()
		change()
		gone := leftTheFile(t, v, path, before)
		if gone == 0 {
			t.Fatal("the change replaced no value")
		}
	}
	// A commit that only records a use leaves the pages it frees (the
	// record with its earlier Last use, the log's last page) to the next
	// change, which erases them.
	t.Run("use, then a change", func(t *testing.T) {
		check(t, liveValues(t, v), func() {
			for range 3 {
				if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: b.ID}) }); err != nil {
					t.Fatal(err)
				}
			}
			add(t, v, rec(secret.NewID(), ""))
		})
	})
	t.Run("rm", func(t *testing.T) {
		check(t, liveValues(t, v), func() {
			if err := v.Update(func(tx *Tx) error { return tx.Delete(a.ID) }); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("secret edited", func(t *testing.T) {
		check(t, liveValues(t, v), func() {
			b.ClientSecret = secret.NewValue("a new secret")
			add(t, v, b)
		})
	})
	t.Run("last use recorded", func(t *testing.T) {
		check(t, liveValues(t, v), func() {
			err := v.Update(func(tx *Tx) error {
				r := mustFind(tx, "beta")
				r.LastUsedAt = tx.Now()
				return tx.Put(r)
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("passwd", func(t *testing.T) {
		check(t, liveValues(t, v), func() {
			if err := v.ChangePassphrase([]byte("new pass"), testWorkFactor); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("passwd killed before erasing", func(t *testing.T) {
		check(t, liveValues(t, v), func() {
			// The commit of a passwd whose process died before the wipe ...
			sealed, _ := sealWithPassphrase([]byte(v.identity.String()), []byte("third pass"), testWorkFactor)
			err := v.guard(func() error {
				return v.db.Update(func(btx *bolt.Tx) error {
					tx := newTx(v, btx, v.keys)
					tx.loadRoot()
					tx.dirty = true
					btx.Bucket(bucketMeta).Put(keyIdentity, sealed)
					return tx.finish()
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			// ... is erased by the next change.
			add(t, v, rec("gamma", "g"))
		})
	})
	t.Run("rotate-keys", func(t *testing.T) {
		check(t, liveValues(t, v), func() {
			if err := v.RotateKeys([]byte("new pass"), testWorkFactor); err != nil {
				t.Fatal(err)
			}
		})
	})
	v.Close()
}

func TestRotateKeys(t *testing.T) {
	v, path, state := stateVault(t)
	add(t, v, rec("alpha", "a"))
	oldIdent := v.Identity()
	if err := v.RotateKeys([]byte("rotated pass"), testWorkFactor); err != nil {
		t.Fatal(err)
	}
	newIdent := v.Identity()
	v.Close()
	if newIdent == oldIdent {
		t.Fatal("identity unchanged")
	}
	if _, err := openAll(path, state, oldIdent); !errors.Is(err, ErrLocked) {
		t.Fatalf("old identity: %v, want ErrLocked", err)
	}
	got, err := openAll(path, state, newIdent)
	if err != nil || got["alpha"] != "s3cret-alpha" {
		t.Fatalf("new identity: %v %v", got, err)
	}
	v = mustOpen(t, path, Options{StateDir: state})
	if err := v.UnlockWithPassphrase([]byte("rotated pass")); err != nil {
		t.Fatal(err)
	}
	if rep, err := v.Check(false); err != nil || !rep.OK() {
		t.Fatalf("check after rotation: %+v %v", rep, err)
	}
}

// TestWritersWaitingDuringPasswdAndRotation: every write that succeeded
// while passwd and rotate-keys ran is in the vault afterwards.
func TestWritersWaitingDuringPasswdAndRotation(t *testing.T) {
	v, path, state := stateVault(t)
	ident := v.Identity()
	v.Close()
	var mu sync.Mutex
	saved := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			w, err := Open(path, Options{ReadOnly: true, StateDir: state, LockTimeout: 20 * time.Second})
			if err != nil {
				t.Error(err)
				return
			}
			defer w.Close()
			if err := w.UnlockWithIdentity(ident); err != nil {
				return // the keys were rotated before this writer unlocked
			}
			name := fmt.Sprintf("writer-%d", i)
			if err := w.Update(func(tx *Tx) error { return tx.Put(rec(name, "")) }); err == nil {
				mu.Lock()
				saved[name] = true
				mu.Unlock()
			} else if !errors.Is(err, ErrLocked) {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	wg.Go(func() {
		a := mustOpen(t, path, Options{ReadOnly: true, StateDir: state, LockTimeout: 20 * time.Second})
		if err := a.UnlockWithIdentity(ident); err != nil {
			t.Error(err)
			return
		}
		if err := a.ChangePassphrase([]byte("p2"), testWorkFactor); err != nil {
			t.Error(err)
		}
		if err := a.RotateKeys([]byte("p3"), testWorkFactor); err != nil {
			t.Error(err)
		}
		a.Close()
	})
	wg.Wait()
	v = mustOpen(t, path, Options{StateDir: state})
	if err := v.UnlockWithPassphrase([]byte("p3")); err != nil {
		t.Fatal(err)
	}
	err := v.View(func(tx *Tx) error {
		for name := range saved {
			if _, err := tx.Find(name); err != nil {
				return fmt.Errorf("%s saved but missing: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved) == 0 {
		t.Log("no writer got through")
	}
}

// TestDamagedFilesNeverPanic truncates the file at many offsets, zeroes
// each page and flips bits in page headers: every outcome is an error of
// the documented kinds, or the right data. MYSAFE_LONG_SWEEP=1 flips every
// header bit.
func TestDamagedFilesNeverPanic(t *testing.T) {
	v, path, _ := stateVault(t)
	ident := v.Identity()
	for i := range 8 {
		add(t, v, rec(fmt.Sprintf("rec-%d", i), fmt.Sprintf("id-%d", i)))
	}
	want := map[string]string{}
	v.View(func(tx *Tx) error {
		recs, _ := tx.Records()
		for _, r := range recs {
			want[r.Name] = r.ClientSecret.Reveal()
		}
		return nil
	})
	v.Close()
	orig, _ := os.ReadFile(path)
	const ps = 4096
	dir := t.TempDir()
	n := 0
	try := func(what string, damaged []byte) {
		n++
		p := filepath.Join(dir, fmt.Sprintf("v%d.db", n))
		os.WriteFile(p, damaged, 0o600)
		// A fresh state directory: only damage is under test here.
		got, err := openAll(p, filepath.Join(dir, "state"), ident)
		switch {
		case err == nil:
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: wrong data accepted", what)
			}
		case errors.Is(err, ErrDamaged), errors.Is(err, ErrTampered), errors.Is(err, ErrNotVault):
		default:
			t.Errorf("%s: %v", what, err)
		}
		os.Remove(p)
	}
	step, flips := ps, 128
	if raceEnabled {
		step, flips = 4*ps, 24
	}
	for off := 0; off < len(orig); off += step {
		try(fmt.Sprintf("truncated to %d", off+1), orig[:off+1])
	}
	for pg := 0; pg < len(orig)/ps; pg++ {
		d := bytes.Clone(orig)
		clear(d[pg*ps : (pg+1)*ps])
		try(fmt.Sprintf("page %d zeroed", pg), d)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if os.Getenv("MYSAFE_LONG_SWEEP") != "" {
		flips = len(orig) / ps * pageHeaderSize * 8
	}
	for i := range flips {
		pg := rng.IntN(len(orig) / ps)
		bit := rng.IntN(pageHeaderSize * 8)
		if os.Getenv("MYSAFE_LONG_SWEEP") != "" {
			pg, bit = i/(pageHeaderSize*8), i%(pageHeaderSize*8)
		}
		d := bytes.Clone(orig)
		d[pg*ps+bit/8] ^= 1 << (bit % 8)
		try(fmt.Sprintf("page %d header bit %d flipped", pg, bit), d)
	}
	t.Logf("%d damaged files tried", n)
}

// TestListedRecordsKeepTheirSecret: a record from List carries no client
// secret; putting it back keeps the stored one, and a new one set on it is
// stored.
func TestListedRecordsKeepTheirSecret(t *testing.T) {
	v, _, _ := stateVault(t)
	add(t, v, rec("alpha", "a"))
	add(t, v, rec("beta", "b"))
	err := v.Update(func(tx *Tx) error {
		recs, err := tx.List()
		if err != nil {
			return err
		}
		for _, r := range recs {
			if !r.ClientSecret.IsZero() {
				return fmt.Errorf("List returned a client secret")
			}
			r.Notes = "listed"
			if r.Name == "beta" {
				r.ClientSecret = secret.NewValue("new beta secret")
			}
			// A lookup in between must not fill in the old secret.
			if _, err := tx.Find(r.Identifier); err != nil {
				return err
			}
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = v.View(func(tx *Tx) error {
		a, b := mustFind(tx, "alpha"), mustFind(tx, "beta")
		if a.ClientSecret.Reveal() != "s3cret-alpha" || a.Notes != "listed" {
			return fmt.Errorf("alpha: %q %q", a.ClientSecret.Reveal(), a.Notes)
		}
		if b.ClientSecret.Reveal() != "new beta secret" || b.Notes != "listed" {
			return fmt.Errorf("beta: %q %q", b.ClientSecret.Reveal(), b.Notes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSecretsMoveNextToTheirRecords: a vault of the first layout of format
// 2 (client secrets in a bucket of their own) reads as before, and its
// first write moves every client secret next to its record, in the same
// transaction, with nothing lost and the vault checking out.
// toFirstLayout puts the client secrets of the vault at path back where the
// first layout of format 2 kept them, a bucket of their own, and returns
// how many it moved.
func toFirstLayout(t *testing.T, path string) int {
	t.Helper()
	var n int
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(btx *bolt.Tx) error {
		old, err := btx.CreateBucket(bucketSecrets)
		if err != nil {
			return err
		}
		records := btx.Bucket(bucketRecords)
		var moved [][]byte
		records.ForEach(func(k, val []byte) error {
			if len(k) == idLen+1 {
				moved = append(moved, bytes.Clone(k))
				return old.Put(bytes.Clone(k[:idLen]), bytes.Clone(val))
			}
			return nil
		})
		for _, k := range moved {
			if err := records.Delete(k); err != nil {
				return err
			}
		}
		n = len(moved)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSecretsMoveNextToTheirRecords(t *testing.T) {
	v, path, state := stateVault(t)
	ident := v.Identity()
	for _, n := range []string{"alpha", "beta", "gamma"} {
		add(t, v, rec(n, n+"-id"))
	}
	v.Close()
	if moved := toFirstLayout(t, path); moved != 3 {
		t.Errorf("%d secrets kept with their records, want 3", moved)
	}
	got, err := openAll(path, state, ident)
	if err != nil || len(got) != 3 || got["beta"] != "s3cret-beta" {
		t.Fatalf("first layout: %v %v", got, err)
	}
	v = mustOpen(t, path, Options{StateDir: state})
	if err := v.UnlockWithIdentity(ident); err != nil {
		t.Fatal(err)
	}
	add(t, v, rec("delta", "delta-id"))
	if rep, err := v.Check(false); err != nil || !rep.OK() || rep.Records != 4 {
		t.Fatalf("check after the move: %+v %v", rep, err)
	}
	v.View(func(tx *Tx) error {
		if tx.btx.Bucket(bucketSecrets) != nil {
			t.Error("the secrets bucket is still there")
		}
		return nil
	})
	v.Close()
	got, err = openAll(path, state, ident)
	if err != nil || len(got) != 4 || got["alpha"] != "s3cret-alpha" || got["delta"] != "s3cret-delta" {
		t.Fatalf("after the move: %v %v", got, err)
	}
}

// TestRootMovesToHeadBucket: a vault that keeps its root in the meta bucket
// (as written before the head bucket) opens as it is, unchanged by reading,
// and its next write moves the root to the head bucket, where bbolt keeps
// it inline in its top-level page.
func TestRootMovesToHeadBucket(t *testing.T) {
	v, path, state := stateVault(t)
	ident := v.Identity()
	add(t, v, rec("alpha", "a"))
	v.Close()
	// The layout from before: the root in the meta bucket, no head bucket.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(btx *bolt.Tx) error {
		r := bytes.Clone(btx.Bucket(bucketHead).Get(keyRoot))
		if err := btx.DeleteBucket(bucketHead); err != nil {
			return err
		}
		return btx.Bucket(bucketMeta).Put(keyRoot, r)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	layout := func() (inMeta, inHead, inline bool) {
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.View(func(btx *bolt.Tx) error {
			inMeta = btx.Bucket(bucketMeta).Get(keyRoot) != nil
			if h := btx.Bucket(bucketHead); h != nil {
				inHead, inline = h.Get(keyRoot) != nil, h.Root() == 0
			}
			return nil
		})
		return inMeta, inHead, inline
	}
	got, err := openAll(path, state, ident)
	if err != nil || got["alpha"] != "s3cret-alpha" {
		t.Fatalf("old layout: %v %v", got, err)
	}
	if inMeta, inHead, _ := layout(); !inMeta || inHead {
		t.Fatalf("reading changed the layout: root in meta %v, in head %v", inMeta, inHead)
	}
	v = mustOpen(t, path, Options{StateDir: state})
	v.UnlockWithIdentity(ident)
	add(t, v, rec("beta", "b"))
	v.Close()
	if inMeta, inHead, inline := layout(); inMeta || !inHead || !inline {
		t.Fatalf("after a write: root in meta %v, in head %v, inline %v", inMeta, inHead, inline)
	}
	got, err = openAll(path, state, ident)
	if err != nil || got["alpha"] != "s3cret-alpha" || got["beta"] != "s3cret-beta" {
		t.Fatalf("after the move: %v %v", got, err)
	}
}
