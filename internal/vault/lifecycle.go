package vault

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
)

// ChangePassphrase reseals the vault identity with a new passphrase. The
// seal is made (scrypt) before the write lock is taken; the commit replaces
// the old seal and the root that binds it, and the old seal's page is
// erased. Records are not re-encrypted: an exported identity keeps working.
// On any error the old passphrase still works.
func (v *Vault) ChangePassphrase(passphrase []byte, workFactor int) error {
	if v.identity == nil {
		return ErrLocked
	}
	if len(passphrase) == 0 {
		return errors.New("empty passphrase")
	}
	sealed, err := sealWithPassphrase([]byte(v.identity.String()), passphrase, workFactor)
	if err != nil {
		return err
	}
	return v.Update(func(tx *Tx) error {
		if err := tx.loadRoot(); err != nil {
			return err
		}
		if err := tx.btx.Bucket(bucketMeta).Put(keyIdentity, sealed); err != nil {
			return err
		}
		tx.changed = true
		return tx.Log(audit.Entry{Action: audit.Passwd})
	})
}

// RotateKeys replaces the vault identity and the data key, seals the new
// identity with passphrase, and re-encrypts every record, blob and index
// page, all in one transaction: a crash leaves the old vault or the new
// one. Identities exported before stop working. The generation keeps
// growing across the rotation.
func (v *Vault) RotateKeys(passphrase []byte, workFactor int) error {
	if v.keys == nil {
		return ErrLocked
	}
	if len(passphrase) == 0 {
		return errors.New("empty passphrase")
	}
	ks, err := newKeySet(passphrase, workFactor)
	if err != nil {
		return err
	}
	if v.readOnly {
		if err := v.Reopen(false); err != nil {
			return err
		}
	}
	if err := v.canRecord(); err != nil {
		return err
	}
	oldKeys, oldID, oldWrapped := v.keys, v.identity, v.dataKey
	gen, err := v.reseal(ks, func(tx *Tx) error { return tx.Log(audit.Entry{Action: audit.RotateKeys}) })
	if err != nil {
		v.keys, v.identity, v.dataKey = oldKeys, oldID, oldWrapped
		return err
	}
	if err := v.wipe(); err != nil {
		return err
	}
	return v.remember(gen)
}

// reseal makes ks the vault's key set and writes every record, blob and
// index page again under its keys, from an empty index, in one transaction;
// then, when not nil, runs in the same transaction. The generation keeps
// growing. On failure the vault's keys are ks's all the same: the caller
// restores its own.
func (v *Vault) reseal(ks *keySet, then func(*Tx) error) (uint64, error) {
	return v.commit(func(tx *Tx) error {
		btx := tx.btx
		recs, err := tx.Records()
		if err != nil {
			return err
		}
		blobs := map[string][]byte{}
		var names []string
		if err := btx.Bucket(bucketData).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		}); err != nil {
			return err
		}
		for _, name := range names {
			if blobs[name], err = tx.Blob(name); err != nil {
				return err
			}
		}
		versions, err := tx.allVersions(recs)
		if err != nil {
			return err
		}
		var entries []audit.Entry
		if err := tx.Entries(audit.Filter{}, func(e *audit.Entry) error {
			entries = append(entries, *e)
			return nil
		}); err != nil {
			return err
		}
		for _, b := range [][]byte{bucketRecords, bucketSecrets, bucketIndex, bucketData, bucketVersions, bucketLog} {
			if err := btx.DeleteBucket(b); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
				return err
			}
		}
		if err := createBuckets(btx); err != nil {
			return err
		}
		if err := ks.store(v, btx, v.vaultID); err != nil {
			return err
		}
		// Everything is written again, under the new keys, from an empty
		// index; the generation keeps growing.
		gen := tx.root.generation
		*tx = *newTx(v, btx, v.keys)
		tx.root = &root{version: rootVersion, generation: gen}
		for _, r := range recs {
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		for _, name := range names {
			if err := tx.PutBlob(name, blobs[name]); err != nil {
				return err
			}
		}
		if err := tx.restoreVersions(versions); err != nil {
			return err
		}
		// The log is chained again under the new key, entries unchanged.
		tx.logged = entries
		tx.dirty = true
		if then != nil {
			return then(tx)
		}
		return nil
	})
}

// CheckReport is the result of Check.
type CheckReport struct {
	Records    int
	Blobs      int
	Generation uint64 // the vault's generation
	Seen       uint64 // the highest generation seen before the check
	Accepted   bool   // a rollback was accepted
	OldCopy    string // the format-1 copy removed after a clean check
	Problems   []string
}

// OK reports whether the check found nothing wrong.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

// Check verifies the whole vault: bbolt's own consistency check, every
// index page and every value in its place, the index agreeing with the
// buckets in both directions, the lookup hints, and the generation against
// the highest one seen. With acceptRollback, a vault that is sound but
// behind the remembered generation is accepted: the remembered generation
// is set to the vault's. After a clean check, the format-1 copy kept by an
// upgrade is removed. The error is nil whenever a report could be made.
func (v *Vault) Check(acceptRollback bool) (*CheckReport, error) {
	if v.keys == nil {
		return nil, ErrLocked
	}
	rep := &CheckReport{Seen: v.seen}
	problem := func(format string, a ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, a...)) }
	err := v.guard(func() error {
		return v.db.View(func(btx *bolt.Tx) error {
			for err := range btx.Check() {
				problem("database: %v", err)
			}
			return nil
		})
	})
	if err != nil {
		problem("database: %v", err)
		return rep, nil
	}
	err = v.guard(func() error {
		return v.db.View(func(btx *bolt.Tx) error {
			tx := newTx(v, btx, v.keys)
			tx.allowRollback = true
			checkTree(tx, rep, problem)
			return nil
		})
	})
	if err != nil {
		problem("%v", err)
	}
	if rep.Generation < v.seen {
		if acceptRollback && len(rep.Problems) == 0 {
			if err := updateGeneration(v.stateDir, v.vaultID, func(uint64) uint64 { return rep.Generation }); err != nil {
				return nil, refused(err)
			}
			v.seen, rep.Accepted = rep.Generation, true
		} else {
			problem("%v", &RollbackError{Path: v.path, Found: rep.Generation, Seen: v.seen})
		}
	} else {
		v.rememberRead(rep.Generation)
	}
	if len(rep.Problems) == 0 {
		old := v.path + OldCopySuffix
		if _, err := os.Lstat(old); err == nil {
			if err := os.Remove(old); err != nil {
				return nil, err
			}
			rep.OldCopy = old
		}
	}
	return rep, nil
}

// checkTree walks the whole index and every bucket.
func checkTree(tx *Tx, rep *CheckReport, problem func(string, ...any)) {
	if err := tx.loadRoot(); err != nil {
		problem("%v", err)
		return
	}
	rep.Generation = tx.root.generation
	index := tx.btx.Bucket(bucketIndex)
	for n := range numLeaves {
		if _, err := tx.leafPage(n); err != nil {
			problem("%v", err)
		}
	}
	// A leaf is part of the index when its middle page names it.
	isLeaf := func(n int) bool {
		m := tx.mids[n/leavesPerMid]
		return m != nil && !m.tags[n%leavesPerMid].zero()
	}
	index.ForEach(func(k, v []byte) error {
		switch {
		case len(k) == 1:
			if n, ok := midOf(k, tx.root.version); !ok || tx.root.mids[n].zero() {
				problem("index page %x is not part of the index", k)
			}
		case len(k) == 2 && int(k[0])<<8|int(k[1]) < numLeaves && isLeaf(int(k[0])<<8|int(k[1])):
		case len(k) == 3:
			if n, ok := isSpacer(k, v); !ok || !isLeaf(n) {
				problem("index page %x is not part of the index", k)
			}
		case len(k) == 1+8 && k[0] == logPrefix && tx.root.version >= rootVersion:
			// An audit log entry: the log's own check reads them all.
		default:
			problem("index page %x is not part of the index", k)
		}
		return nil
	})
	if tx.root.version >= rootVersion && tx.btx.Bucket(bucketLog) != nil {
		problem("the vault holds a log bucket that mysafe did not write: its audit log is in the index")
	}
	hints := map[byte]map[string][]string{kindIdent: {}, kindName: {}}
	versionKeys := map[string]bool{} // every key the versions bucket should hold
	var records uint64
	var used []*secret.Record // every record, for its Last use
	for n := range numLeaves {
		l := tx.leaves[n]
		if l == nil {
			continue
		}
		for _, e := range l.entries {
			if leafOf(e.kind, e.key) != n {
				problem("index entry %c/%x is in the wrong place", e.kind, e.key)
				continue
			}
			switch e.kind {
			case kindRecord:
				records++
				r, err := tx.record(e.key)
				if err != nil {
					problem("%v", err)
					continue
				}
				rep.Records++
				used = append(used, r)
				checkVersions(tx, e.key, e.val, r, versionKeys, problem)
				hints[kindName][tx.nameHint(r.Name)] = append(hints[kindName][tx.nameHint(r.Name)], e.key)
				if r.Identifier != "" {
					h := tx.identHint(r.Identifier)
					hints[kindIdent][h] = append(hints[kindIdent][h], e.key)
				}
			case kindBlob:
				if _, err := tx.Blob(e.key); err != nil {
					problem("%v", err)
					continue
				}
				rep.Blobs++
			case kindIdent, kindName:
			default:
				problem("index entry of unknown kind %q", e.kind)
			}
		}
	}
	// Every hint lists exactly the records that carry its name or identifier.
	for kind, want := range hints {
		for h, ids := range want {
			got, _, err := tx.entry(kind, h)
			slices.Sort(ids)
			if err != nil || got != string(joinIDs(ids)) {
				problem("the lookup hints of record %x do not match it", ids[0])
			}
		}
	}
	for n := range numLeaves {
		if l := tx.leaves[n]; l != nil {
			for _, e := range l.entries {
				if (e.kind == kindIdent || e.kind == kindName) && hints[e.kind][e.key] == nil {
					problem("a lookup hint names no record")
				}
			}
		}
	}
	if records != tx.root.records {
		problem("the root counts %d records, the index lists %d", tx.root.records, records)
	}
	if b := tx.btx.Bucket(bucketVersions); b != nil {
		b.ForEach(func(k, _ []byte) error {
			if !versionKeys[string(k)] {
				problem("a version of record %x was added behind mysafe's back", k[:min(len(k), idLen)])
			}
			return nil
		})
	}
	// Each record's Last use is the time of its latest use in the log.
	var uses audit.LastUses
	tx.walkLog(problem, func(e *audit.Entry) error { uses.Add(e); return nil })
	slices.SortFunc(used, func(a, b *secret.Record) int { return strings.Compare(a.ID, b.ID) })
	for _, r := range used {
		if p := uses.Check(r.ID, r.LastUsedAt); p != "" {
			problem("record %s (%s): %s", r.ID, r.Name, p)
		}
	}
	checkUnknown(tx.btx, problem)
	for _, b := range []struct {
		bucket []byte
		kind   byte
		what   string
	}{{bucketRecords, kindRecord, "record"}, {bucketSecrets, kindRecord, "client secret of record"}, {bucketData, kindBlob, "data blob"}} {
		bucket := tx.btx.Bucket(b.bucket)
		if bucket == nil {
			continue // no secrets bucket: the secrets are kept with their records
		}
		bucket.ForEach(func(k, _ []byte) error {
			what := b.what
			if bytes.Equal(b.bucket, bucketRecords) && len(k) == idLen+1 && k[idLen] == secretSuffix {
				k, what = k[:idLen], "client secret of record"
			}
			if _, ok, err := tx.entry(b.kind, string(k)); err == nil && !ok {
				problem("%s %x was added behind mysafe's back", what, k)
			}
			return nil
		})
	}
}

// checkUnknown reports what mysafe never writes and never reads, and so
// could hide anything behind a clean check: a top-level bucket it does not
// know, a key of the meta or head bucket it does not know, a nested bucket
// in either, and a root left in meta beside the one in head.
func checkUnknown(btx *bolt.Tx, problem func(string, ...any)) {
	known := [][]byte{bucketMeta, bucketHead, bucketRecords, bucketSecrets, bucketIndex, bucketData, bucketVersions, bucketLog}
	btx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !slices.ContainsFunc(known, func(k []byte) bool { return bytes.Equal(k, name) }) {
			problem("the vault holds a bucket %q that mysafe did not write", name)
		}
		return nil
	})
	head := btx.Bucket(bucketHead)
	for _, b := range []struct {
		bucket []byte
		keys   [][]byte
	}{
		{bucketMeta, [][]byte{keyFormat, keyVaultID, keyIdentity, keyDataKey, keyPublicKeys, keyIdentityCheck, keyRoot}},
		{bucketHead, [][]byte{keyRoot}},
	} {
		bucket := btx.Bucket(b.bucket)
		if bucket == nil {
			continue
		}
		bucket.ForEach(func(k, v []byte) error {
			// Once head exists, a root in meta is never read.
			stale := bytes.Equal(b.bucket, bucketMeta) && bytes.Equal(k, keyRoot) && head != nil
			if v == nil || stale || !slices.ContainsFunc(b.keys, func(want []byte) bool { return bytes.Equal(want, k) }) {
				problem("the %s bucket holds %q, which mysafe did not write", b.bucket, k)
			}
			return nil
		})
	}
}

func joinIDs(ids []string) []byte {
	var b []byte
	for _, id := range ids {
		b = append(b, id...)
	}
	return b
}

// Backup writes a consistent copy of the vault to path (0600), while other
// processes may keep reading it. It refuses an existing path (ErrConflict)
// and a vault that does not pass the root's checks (a rolled-back vault is
// not copied as if it were current).
func (v *Vault) Backup(path string) error {
	if err := v.View(func(tx *Tx) error { return tx.loadRoot() }); err != nil {
		return err
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: %s already exists", ErrConflict, path)
	}
	return v.copyTo(path)
}

// checkVersions checks a record's history and every version it keeps, and
// notes their keys in keys.
func checkVersions(tx *Tx, key, ev string, r *secret.Record, keys map[string]bool, problem func(string, ...any)) {
	if histTag(ev).zero() {
		return
	}
	keys[key] = true
	h, err := tx.history(key, ev, r)
	if err != nil {
		problem("%v", err)
		return
	}
	for _, e := range h.Versions[:len(h.Versions)-1] {
		keys[string(versionKey(key, e.N))] = true
		if _, err := tx.Version(r.ID, int(e.N)); err != nil {
			problem("%v", err)
		}
	}
}
