package vault

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/secret"
)

const testWorkFactor = 10

var pass = []byte("correct horse battery staple")

func newVault(t testing.TB) (*Vault, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "vault.db")
	v, err := Create(path, CreateOptions{Owner: "alice", Passphrase: pass, ScryptWorkFactor: testWorkFactor})
	if err != nil {
		t.Fatal(err)
	}
	return v, path
}

func rec(name, ident string) *secret.Record {
	r := &secret.Record{Name: name, URL: "https://api.example.com", ClientID: "cid-" + name, Identifier: ident,
		ClientSecret: secret.NewValue("s3cret-" + name), Permission: secret.PermOwner, Owner: "alice"}
	if err := r.Normalize(); err != nil {
		panic(err)
	}
	return r
}

func add(t testing.TB, v *Vault, r *secret.Record) {
	t.Helper()
	if err := v.Update(func(tx *Tx) error { return tx.Put(r) }); err != nil {
		t.Fatal(err)
	}
}

func reopen(t *testing.T, path string) (*Vault, error) {
	t.Helper()
	v, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	if err := v.UnlockWithPassphrase(pass); err != nil {
		return v, err
	}
	return v, v.View(readWhole)
}

// readWhole reads every record three times, as listings do (Each and
// EachView) and with client secrets (Records): all must check the whole
// vault, and agree.
func readWhole(tx *Tx) error {
	errEach := tx.Each(func(*secret.Record) error { return nil })
	errView := tx.EachView(func(*secret.Record) error { return nil })
	_, errRecords := tx.Records()
	if (errEach == nil) != (errRecords == nil) || (errView == nil) != (errRecords == nil) {
		return fmt.Errorf("Each: %v; EachView: %v; Records: %v", errEach, errView, errRecords)
	}
	return errRecords
}

// TestEachListsMetadata: Each and EachView hand over every record once, in
// id order, without its client secret. The strings Each hands over stay
// valid; those of EachView are copied by their reader, and once it is done
// the buffer they pointed into holds nothing of any record.
func TestEachListsMetadata(t *testing.T) {
	t.Run("Each", func(t *testing.T) { testEachListsMetadata(t, (*Tx).Each, false) })
	t.Run("EachView", func(t *testing.T) { testEachListsMetadata(t, (*Tx).EachView, true) })
}

func testEachListsMetadata(t *testing.T, each func(*Tx, func(*secret.Record) error) error, view bool) {
	v, _ := newVault(t)
	defer v.Close()
	want := map[string]string{}
	err := v.Update(func(tx *Tx) error {
		for i := range 300 {
			r := rec(fmt.Sprintf("record-%03d", i), fmt.Sprintf("id-%03d", i))
			if err := tx.Put(r); err != nil {
				return err
			}
			want[r.ID] = r.Name
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var ids []string
	var last string // the last name handed over, as it was handed over
	err = v.View(func(tx *Tx) error {
		return each(tx, func(r *secret.Record) error {
			if !r.ClientSecret.IsZero() {
				return fmt.Errorf("Each handed over the client secret of %s", r.Name)
			}
			last = r.Name
			id, name := r.ID, r.Name
			if view {
				id, name = strings.Clone(id), strings.Clone(name)
			}
			got[id] = name
			ids = append(ids, id)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if wiped := strings.Repeat("\x00", len(last)); view && last != wiped {
		t.Errorf("after EachView the last name handed over reads %q, want it wiped", last)
	} else if !view && !slices.Contains(slices.Collect(maps.Values(want)), last) {
		t.Errorf("after Each the last name handed over reads %q", last)
	}
	if !maps.Equal(got, want) || len(ids) != len(want) {
		t.Fatalf("Each listed %d records (%d distinct), want %d", len(ids), len(got), len(want))
	}
	if !slices.IsSorted(ids) {
		t.Error("Each did not go in id order")
	}
	stop := errors.New("stop")
	n := 0
	err = v.View(func(tx *Tx) error {
		return each(tx, func(*secret.Record) error { n++; return stop })
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Each after an error: %v, %d calls", err, n)
	}
}

func TestCreateRefusesExistingAndSetsModes(t *testing.T) {
	v, path := newVault(t)
	v.Close()
	if _, err := Create(path, CreateOptions{Passphrase: pass, ScryptWorkFactor: testWorkFactor}); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("vault mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(path))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", di.Mode().Perm())
	}
}

func TestRoundTripAndUnlock(t *testing.T) {
	v, path := newVault(t)
	add(t, v, rec("payments", "pay"))
	ident := v.Identity()
	v.Close()

	v2, err := reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	var got *secret.Record
	v2.View(func(tx *Tx) error { got, err = tx.Find("pay"); return err })
	if err != nil || got.Name != "payments" || got.ClientSecret.Reveal() != "s3cret-payments" {
		t.Fatalf("got %+v, %v", got, err)
	}
	v2.Close()

	v3, _ := Open(path, Options{})
	defer v3.Close()
	if err := v3.UnlockWithPassphrase([]byte("wrong")); !errors.Is(err, ErrLocked) {
		t.Fatalf("wrong passphrase: %v, want ErrLocked", err)
	}
	other, _ := age.GenerateX25519Identity()
	if err := v3.UnlockWithIdentity(other.String()); !errors.Is(err, ErrLocked) {
		t.Fatalf("wrong identity: %v, want ErrLocked", err)
	}
	if err := v3.UnlockWithIdentity(ident); err != nil {
		t.Fatalf("identity unlock: %v", err)
	}
}

func TestIdentifierIsUnique(t *testing.T) {
	v, path := newVault(t)
	add(t, v, rec("a", "shared-id"))
	v.Close()
	before, _ := os.ReadFile(path)
	v, _ = reopen(t, path)
	err := v.Update(func(tx *Tx) error { return tx.Put(rec("b", "SHARED-ID")) })
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate identifier: %v, want ConflictError", err)
	}
	v.Close()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a refused write changed the file")
	}
}

func TestNothingReadableInFile(t *testing.T) {
	v, path := newVault(t)
	r := rec("UniqueNameXYZ", "ident-QWERTY")
	r.Tags = []string{"tagPLUGH"}
	r.Notes = "notesXYZZY"
	add(t, v, r)
	v.Close()
	raw, _ := os.ReadFile(path)
	for _, s := range []string{"UniqueNameXYZ", "ident-QWERTY", "tagPLUGH", "notesXYZZY", "s3cret-", "api.example.com", "cid-", "alice"} {
		if bytes.Contains(raw, []byte(s)) || bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(s))) {
			t.Errorf("%q is readable in the vault file", s)
		}
	}
}

// rawRecords returns the sealed values as stored.
func rawRecords(t *testing.T, path string) map[string][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]byte{}
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	return out
}

func writeRaw(t *testing.T, path string, fn func(b *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(bucketRecords)) }); err != nil {
		t.Fatal(err)
	}
}

func TestTamperingIsRejected(t *testing.T) {
	setup := func(t *testing.T) (string, *secret.Record, *secret.Record) {
		v, path := newVault(t)
		a, b := rec("alpha", "a"), rec("beta", "b")
		add(t, v, a)
		add(t, v, b)
		v.Close()
		return path, a, b
	}
	t.Run("swapped ciphertexts", func(t *testing.T) {
		path, a, b := setup(t)
		raw := rawRecords(t, path)
		ka, kb := mustHex(a.ID), mustHex(b.ID)
		writeRaw(t, path, func(bk *bolt.Bucket) error {
			bk.Put(ka, raw[string(kb)])
			return bk.Put(kb, raw[string(ka)])
		})
		if _, err := reopen(t, path); !errors.Is(err, ErrTampered) {
			t.Fatalf("swap: %v, want ErrTampered", err)
		}
	})
	t.Run("old version replayed", func(t *testing.T) {
		path, a, _ := setup(t)
		old := rawRecords(t, path)[string(mustHex(a.ID))]
		v, err := reopen(t, path)
		if err != nil {
			t.Fatal(err)
		}
		a.Name = "alpha renamed"
		add(t, v, a)
		v.Close()
		writeRaw(t, path, func(bk *bolt.Bucket) error { return bk.Put(mustHex(a.ID), old) })
		if _, err := reopen(t, path); !errors.Is(err, ErrTampered) {
			t.Fatalf("replay: %v, want ErrTampered", err)
		}
	})
	t.Run("record the index does not list", func(t *testing.T) {
		// An age file a writer made with the public sharing key, put where
		// no index entry names it: the index refuses it before any key is
		// used. TestForgedDataKeyIsRefused is the attack on the keys.
		path, _, _ := setup(t)
		v, _ := Open(path, Options{})
		pub, _ := v.PublicKeys()
		v.Close()
		r, _ := age.ParseX25519Recipient(pub.Sharing)
		var buf bytes.Buffer
		w, _ := age.Encrypt(&buf, r)
		forged := rec("forged", "")
		forged.ID = "0123456789abcdef"
		pt, _ := forged.MarshalBinary()
		w.Write(pt)
		w.Close()
		writeRaw(t, path, func(bk *bolt.Bucket) error { return bk.Put(mustHex(forged.ID), buf.Bytes()) })
		if _, err := reopen(t, path); !errors.Is(err, ErrTampered) {
			t.Fatalf("forgery: %v, want ErrTampered", err)
		}
	})
	t.Run("record removed", func(t *testing.T) {
		path, a, _ := setup(t)
		writeRaw(t, path, func(bk *bolt.Bucket) error { return bk.Delete(mustHex(a.ID)) })
		if _, err := reopen(t, path); !errors.Is(err, ErrTampered) {
			t.Fatalf("removal: %v, want ErrTampered", err)
		}
	})
}

func mustHex(id string) []byte {
	b, err := hex.DecodeString(id)
	if err != nil {
		panic(err)
	}
	return b
}

func TestChangePassphraseKeepsRecords(t *testing.T) {
	v, path := newVault(t)
	add(t, v, rec("a", "a"))
	if err := v.ChangePassphrase([]byte("new pass"), testWorkFactor); err != nil {
		t.Fatal(err)
	}
	v.Close()
	v2, _ := Open(path, Options{})
	defer v2.Close()
	if err := v2.UnlockWithPassphrase(pass); !errors.Is(err, ErrLocked) {
		t.Fatalf("old passphrase: %v", err)
	}
	if err := v2.UnlockWithPassphrase([]byte("new pass")); err != nil {
		t.Fatal(err)
	}
}

func TestSecondWriterTimesOut(t *testing.T) {
	v, path := newVault(t)
	defer v.Close()
	_, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: %v, want ErrInUse", err)
	}
}

func TestReplacedPublicKeysAreDetected(t *testing.T) {
	v, path := newVault(t)
	add(t, v, rec("a", "a"))
	v.Close()
	other, otherPath := newVault(t)
	other.Close()
	var mallory []byte
	db, err := bolt.Open(otherPath, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error { mallory = bytes.Clone(tx.Bucket(bucketMeta).Get(keyPublicKeys)); return nil })
	db.Close()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyPublicKeys, mallory) })
	db.Close()
	if _, err := reopen(t, path); !errors.Is(err, ErrTampered) {
		t.Fatalf("replaced public keys: %v, want ErrTampered", err)
	}
}

func TestChangePassphraseLeavesNoOldSeal(t *testing.T) {
	v, path := newVault(t)
	add(t, v, rec("a", "a"))
	var oldSeal []byte
	v.db.View(func(tx *bolt.Tx) error { oldSeal = bytes.Clone(tx.Bucket(bucketMeta).Get(keyIdentity)); return nil })
	if err := v.ChangePassphrase([]byte("new pass"), testWorkFactor); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	// The vault stays usable after the rewrite.
	add(t, v, rec("b", "b"))
	v.Close()
	// The scrypt stanza's salt is unique to the old seal.
	if bytes.Contains(raw, oldSeal[:80]) {
		t.Fatal("the identity sealed under the old passphrase is still in the file")
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after rewrite %v", fi.Mode().Perm())
	}
	v2, err := reopenWith(t, path, []byte("new pass"))
	if err != nil {
		t.Fatal(err)
	}
	v2.Close()
}

func reopenWith(t *testing.T, path string, p []byte) (*Vault, error) {
	v, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.UnlockWithPassphrase(p); err != nil {
		v.Close()
		return nil, err
	}
	return v, v.View(readWhole)
}

// TestSortEntries: sortEntries orders by key as a comparison sort does,
// whatever the keys: random, sharing their first bits (ids that came with
// share bundles), with bytes of 255, or equal.
func TestSortEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 3, 300, 5000, 70000} {
		es := make([]metaEntry, n)
		for i := range es {
			es[i].key = rng.Uint64()
			switch i % 7 {
			case 0:
				es[i].key |= 0xff << (8 * rng.IntN(8)) // bytes of 255
			case 1:
				es[i].key &= 0xffff // the same first 48 bits
			case 2:
				es[i].key = es[i/2].key // equal keys
			}
			es[i].meta[0] = byte(i)
		}
		want := slices.Clone(es)
		slices.SortFunc(want, func(a, b metaEntry) int { return cmp.Compare(a.key, b.key) })
		sortEntries(es)
		for i := range es {
			if es[i].key != want[i].key {
				t.Fatalf("n=%d: entry %d has key %x, want %x", n, i, es[i].key, want[i].key)
			}
		}
	}
}

// TestScratchWipesWhatItOutgrows: when a value does not fit the scratch
// buffer, the buffer it replaces is wiped, not left in memory with the
// last plaintext it held.
func TestScratchWipesWhatItOutgrows(t *testing.T) {
	k, err := deriveKeys(bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 32), "AGE-SECRET-KEY-1TEST")
	if err != nil {
		t.Fatal(err)
	}
	small := k.records.seal(bucketRecords, []byte("k1"), []byte("a small secret value"))
	large := k.records.seal(bucketRecords, []byte("k2"), bytes.Repeat([]byte("large "), 200))
	var sc scratch
	pt, err := k.records.openScratch(&sc, bucketRecords, []byte("k1"), small)
	if err != nil || string(pt) != "a small secret value" {
		t.Fatalf("open: %q, %v", pt, err)
	}
	old := sc.pt[:cap(sc.pt)]
	if pt, err = k.records.openScratch(&sc, bucketRecords, []byte("k2"), large); err != nil || len(pt) != 1200 {
		t.Fatalf("open: %d bytes, %v", len(pt), err)
	}
	if &old[0] == &sc.pt[:1][0] {
		t.Fatal("the buffer was not replaced; the test needs a larger value")
	}
	if !bytes.Equal(old, make([]byte, len(old))) {
		t.Errorf("the outgrown buffer still holds %q", old)
	}
	sc.wipe()
	if !bytes.Equal(sc.pt[:cap(sc.pt)], make([]byte, cap(sc.pt))) {
		t.Error("wipe left plaintext")
	}
}
