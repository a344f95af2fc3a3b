package vault

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
)

// TestAttackChangeDisguisedAsUse is the attacker who can write the vault
// file and has cut an entry out of the log where the next use does not
// look (a pure use checks only the log's end and one block), and who then
// hopes a command that really changes something is taken for a use and so
// skips the walk of the whole log. Every change below carries only a use
// (or share) entry, the kind the cheaper check is for: each must still be
// refused, with the file unchanged to the byte, while a pure use passes.
func TestAttackChangeDisguisedAsUse(t *testing.T) {
	const n = 3*sweepBlock + 100 // four blocks; the next entry sweeps block 1
	const cut = 3*sweepBlock + 5 // in block 3, not the last entry
	if lo, hi := sweepRange(n, n+1); cut >= lo && cut <= hi {
		t.Fatalf("the next use sweeps entries %d to %d, the cut one too", lo, hi)
	}
	v, path, a, b := longLogVault(t, n)
	// b gets an earlier version (for restore and prune) and a grant (for
	// revoke), without log entries: the log keeps its n entries.
	err := v.Update(func(tx *Tx) error {
		r := mustFind(tx, "bill")
		r.Notes = "first notes"
		r.Access = []secret.Access{{Name: "bob", Recipient: "age1bob", Permission: secret.PermView, GrantedAt: tx.Now()}}
		return tx.Put(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	writeRawLog(t, path, func(b *bolt.Bucket) error { return b.Delete(logKey(cut)) })
	tampered, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err = reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	use := func(tx *Tx, id string) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: id}) }
	edit := func(fn func(r *secret.Record, tx *Tx)) func(tx *Tx) error {
		return func(tx *Tx) error {
			r := mustFind(tx, "bill")
			fn(r, tx)
			if err := tx.Put(r); err != nil {
				return err
			}
			return use(tx, r.ID)
		}
	}
	later := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	changes := []struct {
		name string
		fn   func(tx *Tx) error
	}{
		{"client secret", edit(func(r *secret.Record, _ *Tx) { r.ClientSecret = secret.NewValue("rotated quietly") })},
		{"notes", edit(func(r *secret.Record, _ *Tx) { r.Notes = "quietly" })},
		{"tags", edit(func(r *secret.Record, _ *Tx) { r.Tags = append(r.Tags, "quiet") })},
		{"token URL", edit(func(r *secret.Record, _ *Tx) { r.TokenURL = "https://evil.example/token" })},
		{"owner", edit(func(r *secret.Record, _ *Tx) { r.Owner = "mallory" })},
		{"permission", edit(func(r *secret.Record, _ *Tx) { r.Permission = secret.PermEdit })},
		{"access granted", edit(func(r *secret.Record, tx *Tx) {
			r.Access = append(r.Access, secret.Access{Name: "mallory", Recipient: "age1mallory", Permission: secret.PermEdit, GrantedAt: tx.Now()})
		})},
		{"access revoked", edit(func(r *secret.Record, tx *Tx) { r.Access[0].RevokedAt = tx.Now() })},
		{"access permission", edit(func(r *secret.Record, _ *Tx) { r.Access[0].Permission = secret.PermEdit })},
		{"revision", edit(func(r *secret.Record, _ *Tx) { r.Revision += 7 })},
		{"synced revision", edit(func(r *secret.Record, _ *Tx) { r.SyncedRevision += 7 })},
		{"owner unverified", edit(func(r *secret.Record, _ *Tx) { r.OwnerUnverified = !r.OwnerUnverified })},
		{"created", edit(func(r *secret.Record, _ *Tx) { r.CreatedAt = later })},
		{"updated", edit(func(r *secret.Record, _ *Tx) { r.UpdatedAt = later })},
		{"share that grants", func(tx *Tx) error {
			r := mustFind(tx, "bill")
			r.Access = append(r.Access, secret.Access{Name: "carol", Recipient: "age1carol", Permission: secret.PermView, GrantedAt: tx.Now()})
			if err := tx.Put(r); err != nil {
				return err
			}
			return tx.Log(audit.Entry{Action: audit.Share, RecordID: r.ID})
		}},
		{"restore", func(tx *Tx) error {
			r := mustFind(tx, "bill")
			old, err := tx.Version(r.ID, 1)
			if err != nil {
				return err
			}
			r.SetContent(old)
			if err := tx.Put(r); err != nil {
				return err
			}
			return use(tx, r.ID)
		}},
		{"history prune", func(tx *Tx) error {
			r := mustFind(tx, "bill")
			if n, err := tx.PruneHistory(r.ID); err != nil || n == 0 {
				t.Errorf("prune deleted %d versions: %v", n, err)
			}
			return use(tx, a.ID)
		}},
		{"rm", func(tx *Tx) error {
			if err := tx.Delete(b.ID); err != nil {
				return err
			}
			return use(tx, a.ID)
		}},
		{"add", func(tx *Tx) error {
			if err := tx.Put(rec("planted", "planted")); err != nil {
				return err
			}
			return use(tx, a.ID)
		}},
		{"profile", func(tx *Tx) error {
			p, err := tx.Profile()
			if err != nil {
				return err
			}
			p.Owner = "mallory"
			if err := tx.PutJSON(blobProfile, p); err != nil {
				return err
			}
			return use(tx, a.ID)
		}},
		{"contacts blob", func(tx *Tx) error {
			if err := tx.PutBlob("contacts", []byte(`[{"name":"mallory"}]`)); err != nil {
				return err
			}
			return tx.Log(audit.Entry{Action: audit.Export})
		}},
		{"one use changes, the other does not", func(tx *Tx) error {
			if err := use(tx, a.ID); err != nil {
				return err
			}
			r := mustFind(tx, "bill")
			r.Notes = "in the second use"
			return use(tx, r.ID)
		}},
	}
	for _, c := range changes {
		err := v.Update(c.fn)
		if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "was removed") {
			t.Errorf("%s with only a use entry: %v, want the removed entry found", c.name, err)
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, tampered) {
			t.Fatalf("%s: a refused write changed the vault file", c.name)
		}
	}
	for _, c := range []struct {
		name string
		fn   func() error
	}{
		{"passwd", func() error { return v.ChangePassphrase([]byte("new pass"), testWorkFactor) }},
		{"rotate-keys", func() error { return v.RotateKeys([]byte("new pass"), testWorkFactor) }},
	} {
		if err := c.fn(); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: %v, want tampered", c.name, err)
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, tampered) {
			t.Fatalf("%s: a refused write changed the vault file", c.name)
		}
	}
	// What the cheaper check is for: a use that changes nothing but the
	// Last use passes; the cut stays for the next change or check to find.
	if err := v.Update(func(tx *Tx) error { return use(tx, a.ID) }); err != nil {
		t.Fatalf("a pure use outside the cut block: %v", err)
	}
	rep, err := v.Check(false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Error("check passed a log with an entry cut out")
	}
}

// TestAttackLogBucketRolledBack puts back the log bucket of an older copy
// of the file under today's root, and grafts today's log under an older
// root: the root names the log's length and head, so every write and check
// refuses both.
func TestAttackLogBucketRolledBack(t *testing.T) {
	v, path, id := logVault(t)
	v.Close()
	var old [][2][]byte
	old = readRawLog(t, path)
	v, err := reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: id}) }); err != nil {
			t.Fatal(err)
		}
	}
	v.Close()
	writeRawLog(t, path, func(b *bolt.Bucket) error {
		for i := uint64(1); i <= 8; i++ {
			b.Delete(logKey(i))
		}
		for _, kv := range old {
			if err := b.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	rolled, _ := os.ReadFile(path)
	v, err = reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: id}) }); !errors.Is(err, ErrTampered) {
		t.Errorf("a use on a rolled-back log: %v, want tampered", err)
	}
	if err := v.Update(func(tx *Tx) error { return tx.Put(rec("new", "new")) }); !errors.Is(err, ErrTampered) {
		t.Errorf("a change on a rolled-back log: %v, want tampered", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, rolled) {
		t.Fatal("a refused write changed the vault file")
	}
	rep, err := v.Check(false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "the vault counts 8") {
		t.Errorf("check found %q, want the log's cut end", rep.Problems)
	}
}

// TestAttackErasureAfterUses follows every value a record ever had in the
// live tree through a run of uses (whose commits leave their freed pages
// for later) and then a change that removes or replaces it: after the
// change, no copy of any of them is left in the file, not even the
// intermediate ones that only a use wrote and a later use freed.
func TestAttackErasureAfterUses(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(tx *Tx, r *secret.Record) error
	}{
		{"rm", func(tx *Tx, r *secret.Record) error {
			if err := tx.Delete(r.ID); err != nil {
				return err
			}
			return tx.Log(audit.Entry{Action: audit.Remove, RecordID: r.ID})
		}},
		{"secret rotated, history pruned", func(tx *Tx, r *secret.Record) error {
			r.ClientSecret = secret.NewValue("the next secret")
			if err := tx.Put(r); err != nil {
				return err
			}
			if _, err := tx.PruneHistory(r.ID); err != nil {
				return err
			}
			return tx.Log(audit.Entry{Action: audit.Edit, RecordID: r.ID})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, path, _ := stateVault(t)
			defer v.Close()
			target := rec("target", "target")
			add(t, v, target)
			for range 10 {
				add(t, v, rec(secret.NewID(), ""))
			}
			// Every value the target record or its client secret had.
			seen := map[string]bool{}
			note := func() {
				v.db.View(func(btx *bolt.Tx) error {
					for _, bk := range [][]byte{bucketRecords, bucketVersions} {
						b := btx.Bucket(bk)
						if b == nil {
							continue
						}
						b.ForEach(func(k, val []byte) error {
							if bytes.HasPrefix(k, mustHex(target.ID)) {
								seen[string(val)] = true
							}
							return nil
						})
					}
					return nil
				})
			}
			note()
			for range 6 {
				if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Copy, RecordID: target.ID}) }); err != nil {
					t.Fatal(err)
				}
				note()
			}
			if err := v.Update(func(tx *Tx) error { return c.change(tx, mustFind(tx, "target")) }); err != nil {
				t.Fatal(err)
			}
			var values [][]byte
			for val := range seen {
				values = append(values, []byte(val))
			}
			gone := leftTheFile(t, v, path, values)
			if gone < 7 {
				t.Fatalf("only %d of the record's values left the tree", gone)
			}
		})
	}
}

// TestAttackMetaFallbackAfterUse damages the newest bbolt meta page after
// a use, whose commit does not erase the previous commit's pages, so bbolt
// falls back to the vault as it was before the use: the rollback guard
// refuses that older generation.
func TestAttackMetaFallbackAfterUse(t *testing.T) {
	v, path, state := stateVault(t)
	ident := v.Identity()
	r := rec("payments", "pay")
	add(t, v, r)
	if err := v.Update(func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: r.ID}) }); err != nil {
		t.Fatal(err)
	}
	v.Close()
	damageNewestMeta(t, path)
	_, err := openAll(path, state, ident)
	var rb *RollbackError
	if !errors.As(err, &rb) || !errors.Is(err, ErrTampered) {
		t.Fatalf("the vault as it was before the use: %v, want RollbackError", err)
	}
}

// TestAttackUseMovesFirstLayout is a vault of the first layout of format 2
// (client secrets in a bucket of their own), whose next write, a use
// included, moves every client secret next to its record. That move is a
// change: with an entry cut out of the log where a use does not look, the
// use is refused with the file unchanged; on an untouched log the use
// moves the secrets and erases the pages of the old bucket, so each sealed
// client secret is in the file once.
func TestAttackUseMovesFirstLayout(t *testing.T) {
	const n = 3*sweepBlock + 100
	const cut = 3*sweepBlock + 5
	v, path, a, _ := longLogVault(t, n)
	v.Close()
	if moved := toFirstLayout(t, path); moved != 2 {
		t.Fatalf("%d secrets moved to the first layout, want 2", moved)
	}
	clean, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sealed [][]byte
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketSecrets).ForEach(func(_, val []byte) error {
			sealed = append(sealed, bytes.Clone(val))
			return nil
		})
	})
	db.Close()
	use := func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.Reveal, RecordID: a.ID}) }

	writeRawLog(t, path, func(b *bolt.Bucket) error { return b.Delete(logKey(cut)) })
	tampered, _ := os.ReadFile(path)
	v, err = reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Update(use); !errors.Is(err, ErrTampered) {
		t.Errorf("a use that moves the client secrets, on a cut log: %v, want tampered", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, tampered) {
		t.Fatal("a refused use changed the vault file")
	}
	v.Close()

	if err := os.WriteFile(path, clean, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err = reopen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Update(use); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, val := range sealed {
		if c := bytes.Count(raw, val[len(val)-32:]); c != 1 {
			t.Errorf("a moved client secret is in the file %d times, want once", c)
		}
	}
}
