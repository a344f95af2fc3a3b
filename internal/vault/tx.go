package vault

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/secret"
)

// Tx is one bbolt transaction over an unlocked vault. Records are decrypted
// and checked against the state digest the first time they are needed, once
// per transaction.
type Tx struct {
	v       *Vault
	btx     *bolt.Tx
	loaded  bool
	records map[string]*secret.Record
	order   []string          // ids in key order
	idents  map[string]string // identKey(identifier) -> id
	state   digest
	dirty   bool
}

// View runs fn in a read-only transaction.
func (v *Vault) View(fn func(*Tx) error) error {
	if v.keys == nil {
		return ErrLocked
	}
	return v.db.View(func(btx *bolt.Tx) error { return fn(&Tx{v: v, btx: btx}) })
}

// Update runs fn in a read-write transaction. If fn returns an error nothing
// is written.
func (v *Vault) Update(fn func(*Tx) error) error {
	if v.keys == nil {
		return ErrLocked
	}
	return v.db.Update(func(btx *bolt.Tx) error {
		tx := &Tx{v: v, btx: btx}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.finish()
	})
}

// Now returns the vault's clock reading.
func (tx *Tx) Now() time.Time { return tx.v.now().UTC() }

// load decrypts every record and verifies the state digest over every sealed
// value in the file. Records are opened on all cores: each is independent.
func (tx *Tx) load() error {
	if tx.loaded {
		return nil
	}
	k := tx.v.keys
	type entry struct{ key, val []byte }
	var entries []entry
	recs := tx.btx.Bucket(bucketRecords)
	if err := recs.ForEach(func(key, val []byte) error {
		entries = append(entries, entry{key, val})
		return nil
	}); err != nil {
		return err
	}

	out := make([]secret.Record, len(entries))
	workers := min(runtime.GOMAXPROCS(0), len(entries)/256+1)
	sums := make([]digest, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(entries)/workers, (w+1)*len(entries)/workers
		wg.Go(func() {
			mac := k.newMAC()
			for i := lo; i < hi; i++ {
				key, val := entries[i].key, entries[i].val
				pt, err := k.open(bucketRecords, key, val)
				if err != nil {
					errs[w] = fmt.Errorf("%w: record %x does not decrypt in its place", ErrTampered, key)
					return
				}
				r := &out[i]
				if err := r.UnmarshalBinary(pt); err != nil {
					errs[w] = fmt.Errorf("%w: record %x: %v", ErrTampered, key, err)
					return
				}
				if r.ID != hex.EncodeToString(key) {
					errs[w] = fmt.Errorf("%w: record %x carries another id", ErrTampered, key)
					return
				}
				sums[w].toggle(element(mac, bucketRecords, key, val))
			}
		})
	}
	wg.Wait()
	var sum digest
	for w := range workers {
		if errs[w] != nil {
			return errs[w]
		}
		sum.toggle(sums[w])
	}
	tx.records = make(map[string]*secret.Record, len(out))
	tx.idents = make(map[string]string, len(out))
	tx.order = make([]string, 0, len(out))
	for i := range out {
		r := &out[i]
		tx.records[r.ID] = r
		tx.order = append(tx.order, r.ID)
		if r.Identifier != "" {
			tx.idents[identKey(r.Identifier)] = r.ID
		}
	}

	mac := k.newMAC()
	if err := tx.btx.Bucket(bucketData).ForEach(func(key, val []byte) error {
		sum.toggle(element(mac, bucketData, key, val))
		return nil
	}); err != nil {
		return err
	}
	sealed := tx.btx.Bucket(bucketMeta).Get(keyState)
	want, err := k.open(bucketMeta, keyState, sealed)
	if err != nil || len(want) != len(sum) {
		return fmt.Errorf("%w: state record does not decrypt", ErrTampered)
	}
	if subtle.ConstantTimeCompare(want, sum[:]) != 1 {
		return fmt.Errorf("%w: records were removed, added or replaced by older versions", ErrTampered)
	}
	tx.state = sum
	tx.loaded = true
	return nil
}

// identKey is the form identifiers are compared in (see secret.SameIdentifier).
func identKey(s string) string { return strings.ToLower(s) }

// finish writes the new state digest if anything changed.
func (tx *Tx) finish() error {
	if !tx.dirty {
		return nil
	}
	return tx.btx.Bucket(bucketMeta).Put(keyState, tx.v.keys.seal(bucketMeta, keyState, tx.state[:]))
}

// put seals plaintext under bucket/key and keeps the digest in step.
func (tx *Tx) put(bucket, key, plaintext []byte) error {
	if err := tx.load(); err != nil {
		return err
	}
	b := tx.btx.Bucket(bucket)
	mac := tx.v.keys.newMAC()
	if old := b.Get(key); old != nil {
		tx.state.toggle(element(mac, bucket, key, old))
	}
	sealed := tx.v.keys.seal(bucket, key, plaintext)
	if err := b.Put(key, sealed); err != nil {
		return err
	}
	tx.state.toggle(element(mac, bucket, key, sealed))
	tx.dirty = true
	return nil
}

func (tx *Tx) del(bucket, key []byte) error {
	if err := tx.load(); err != nil {
		return err
	}
	b := tx.btx.Bucket(bucket)
	old := b.Get(key)
	if old == nil {
		return nil
	}
	tx.state.toggle(element(tx.v.keys.newMAC(), bucket, key, old))
	tx.dirty = true
	return b.Delete(key)
}

// Records returns every record, sorted by nothing in particular. The
// records are the transaction's own copies: modify them and Put them back to
// change the vault.
func (tx *Tx) Records() ([]*secret.Record, error) {
	if err := tx.load(); err != nil {
		return nil, err
	}
	out := make([]*secret.Record, 0, len(tx.order))
	for _, id := range tx.order {
		if r, ok := tx.records[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// Find resolves a reference (identifier, id or exact name) with secret.Find.
func (tx *Tx) Find(ref string) (*secret.Record, error) {
	recs, err := tx.Records()
	if err != nil {
		return nil, err
	}
	return secret.Find(recs, ref)
}

// ConflictError reports an identifier already used by another record.
type ConflictError struct {
	Identifier string
	Other      *secret.Record
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("identifier %q is already used by %q (id %s)", e.Identifier, e.Other.Name, e.Other.ID)
}

// Unwrap makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Put inserts or replaces a record. A record without an ID gets a fresh one
// (and a UID when it has none). Put refuses, with a *ConflictError, an
// identifier that another record already has.
func (tx *Tx) Put(r *secret.Record) error {
	if err := tx.load(); err != nil {
		return err
	}
	if r.ID == "" {
		for {
			r.ID = secret.NewID()
			if _, taken := tx.records[r.ID]; !taken {
				break
			}
		}
	}
	if r.UID == "" {
		r.UID = secret.NewUID()
	}
	key, err := hex.DecodeString(r.ID)
	if err != nil || len(key) != 8 {
		return fmt.Errorf("invalid record id %q", r.ID)
	}
	if r.Identifier != "" {
		if other, ok := tx.idents[identKey(r.Identifier)]; ok && other != r.ID {
			return &ConflictError{Identifier: r.Identifier, Other: tx.records[other]}
		}
	}
	pt, err := r.MarshalBinary()
	if err != nil {
		return err
	}
	if err := tx.put(bucketRecords, key, pt); err != nil {
		return err
	}
	if old, ok := tx.records[r.ID]; !ok {
		tx.order = append(tx.order, r.ID)
	} else if old.Identifier != "" {
		delete(tx.idents, identKey(old.Identifier))
	}
	if r.Identifier != "" {
		tx.idents[identKey(r.Identifier)] = r.ID
	}
	tx.records[r.ID] = r
	return nil
}

// Delete removes a record by id; ErrNotFound if there is none.
func (tx *Tx) Delete(id string) error {
	if err := tx.load(); err != nil {
		return err
	}
	old, ok := tx.records[id]
	if !ok {
		return fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	if old.Identifier != "" {
		delete(tx.idents, identKey(old.Identifier))
	}
	key, _ := hex.DecodeString(id)
	if err := tx.del(bucketRecords, key); err != nil {
		return err
	}
	delete(tx.records, id)
	return nil
}

// Blob returns the named sealed blob, or nil if it does not exist.
func (tx *Tx) Blob(name string) ([]byte, error) {
	if err := tx.load(); err != nil {
		return nil, err
	}
	val := tx.btx.Bucket(bucketData).Get([]byte(name))
	if val == nil {
		return nil, nil
	}
	pt, err := tx.v.keys.open(bucketData, []byte(name), val)
	if err != nil {
		return nil, fmt.Errorf("%w: %s does not decrypt in its place", ErrTampered, name)
	}
	return bytes.Clone(pt), nil
}

// PutBlob stores a sealed blob under name.
func (tx *Tx) PutBlob(name string, data []byte) error {
	return tx.put(bucketData, []byte(name), data)
}

// DeleteBlob removes the named blob.
func (tx *Tx) DeleteBlob(name string) error { return tx.del(bucketData, []byte(name)) }

// GetJSON decodes the named blob into v; ok is false when it does not exist.
func (tx *Tx) GetJSON(name string, v any) (ok bool, err error) {
	b, err := tx.Blob(name)
	if err != nil || b == nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrTampered, name, err)
	}
	return true, nil
}

func (tx *Tx) putJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.PutBlob(name, b)
}

// PutJSON stores v, JSON-encoded, as the named blob.
func (tx *Tx) PutJSON(name string, v any) error { return tx.putJSON(name, v) }

// Profile returns the owner's profile.
func (tx *Tx) Profile() (*Profile, error) {
	var p Profile
	ok, err := tx.GetJSON(blobProfile, &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: the profile is missing", ErrTampered)
	}
	return &p, nil
}
