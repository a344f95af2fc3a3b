package vault

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/secret"
)

// Tx is one bbolt transaction over an unlocked vault. The catalog is read
// and checked against the file when the transaction first needs it; records
// are decrypted only when asked for, and then cached for the transaction.
type Tx struct {
	v       *Vault
	btx     *bolt.Tx
	cat     *catalog
	records map[string]*secret.Record // decrypted so far, by id
	all     bool                      // every record is in records
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

func tampered(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrTampered, fmt.Sprintf(format, a...))
}

// loadCatalog opens the catalog and checks that the records and data
// buckets hold exactly the values it lists.
func (tx *Tx) loadCatalog() error {
	if tx.cat != nil {
		return nil
	}
	pt, err := tx.v.keys.open(bucketMeta, keyCatalog, tx.btx.Bucket(bucketMeta).Get(keyCatalog))
	if err != nil {
		return tampered("the catalog does not decrypt")
	}
	cat, err := unmarshalCatalog(pt)
	if err != nil {
		return tampered("%v", err)
	}
	// The public keys sit in the clear so `mysafe key` works while the vault
	// is locked; the catalog holds the same bytes, so a swap is caught by the
	// first command that unlocks.
	if cat.pub != string(tx.btx.Bucket(bucketMeta).Get(keyPublicKeys)) {
		return tampered("the public keys in the file were replaced")
	}
	for _, b := range []struct {
		name    []byte
		kind    string
		entries []catEntry
	}{{bucketRecords, "record", cat.records}, {bucketData, "data blob", cat.blobs}} {
		i := 0
		err := tx.btx.Bucket(b.name).ForEach(func(key, val []byte) error {
			if i >= len(b.entries) || b.entries[i].key != string(key) {
				return tampered("%s %x was added or moved behind mysafe's back", b.kind, key)
			}
			if b.entries[i].nonce != nonceTag(val) {
				return tampered("%s %x was replaced, by an older version or otherwise", b.kind, key)
			}
			i++
			return nil
		})
		if err != nil {
			return err
		}
		if i != len(b.entries) {
			return tampered("%ss were removed behind mysafe's back", b.kind)
		}
	}
	tx.cat = cat
	tx.records = make(map[string]*secret.Record)
	return nil
}

// sealedRecord is one value of the records bucket, valid during the
// transaction, with its catalog entry.
type sealedRecord struct {
	key, val []byte
	entry    *catEntry
}

// decrypt opens the given records, on all cores when there are many, and
// caches them. It returns them in the order given.
func (tx *Tx) decrypt(in []sealedRecord) ([]*secret.Record, error) {
	k := tx.v.keys
	out := make([]secret.Record, len(in))
	workers := min(runtime.GOMAXPROCS(0), len(in)/256+1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(in)/workers, (w+1)*len(in)/workers
		wg.Go(func() {
			for j := lo; j < hi; j++ {
				s := in[j]
				pt, err := k.open(bucketRecords, s.key, s.val)
				if err != nil {
					errs[w] = tampered("record %x does not decrypt in its place", s.key)
					return
				}
				r := &out[j]
				if err := r.UnmarshalBinary(pt); err != nil {
					errs[w] = tampered("record %x: %v", s.key, err)
					return
				}
				if r.ID != hex.EncodeToString(s.key) || r.Name != s.entry.name || r.Identifier != s.entry.ident {
					errs[w] = tampered("record %x does not match the catalog", s.key)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	recs := make([]*secret.Record, len(out))
	for j := range out {
		recs[j] = &out[j]
		tx.records[out[j].ID] = &out[j]
	}
	return recs, nil
}

// Records returns every record, in no particular order. The records are the
// transaction's own copies: modify one and Put it back to change the vault.
func (tx *Tx) Records() ([]*secret.Record, error) {
	if err := tx.loadCatalog(); err != nil {
		return nil, err
	}
	if !tx.all {
		// Walk the bucket (in catalog order) and decrypt what is not cached.
		var todo []sealedRecord
		i := 0
		tx.btx.Bucket(bucketRecords).ForEach(func(key, val []byte) error {
			e := &tx.cat.records[i]
			i++
			if len(tx.records) > 0 {
				if _, cached := tx.records[hex.EncodeToString(key)]; cached {
					return nil
				}
			}
			todo = append(todo, sealedRecord{key, val, e})
			return nil
		})
		if _, err := tx.decrypt(todo); err != nil {
			return nil, err
		}
		tx.all = true
	}
	out := make([]*secret.Record, 0, len(tx.records))
	for _, r := range tx.records {
		out = append(out, r)
	}
	return out, nil
}

// Find resolves a reference (identifier, id or exact name) with secret.Find,
// decrypting only the records that can match.
func (tx *Tx) Find(ref string) (*secret.Record, error) {
	if err := tx.loadCatalog(); err != nil {
		return nil, err
	}
	var todo []sealedRecord
	var cands []*secret.Record
	bucket := tx.btx.Bucket(bucketRecords)
	for i := range tx.cat.records {
		e := &tx.cat.records[i]
		if e.name != ref && !secret.SameIdentifier(e.ident, ref) && (len(ref) != 16 || hex.EncodeToString([]byte(e.key)) != ref) {
			continue
		}
		if r, ok := tx.records[hex.EncodeToString([]byte(e.key))]; ok {
			cands = append(cands, r)
		} else {
			todo = append(todo, sealedRecord{[]byte(e.key), bucket.Get([]byte(e.key)), e})
		}
	}
	recs, err := tx.decrypt(todo)
	if err != nil {
		return nil, err
	}
	return secret.Find(append(cands, recs...), ref)
}

// finish reseals the catalog if anything changed.
func (tx *Tx) finish() error {
	if !tx.dirty {
		return nil
	}
	return tx.btx.Bucket(bucketMeta).Put(keyCatalog, tx.v.keys.seal(bucketMeta, keyCatalog, tx.cat.marshal()))
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
	if err := tx.loadCatalog(); err != nil {
		return err
	}
	if r.ID == "" {
		for {
			r.ID = secret.NewID()
			key, _ := hex.DecodeString(r.ID)
			if _, taken := find(tx.cat.records, string(key)); !taken {
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
		for _, e := range tx.cat.records {
			if e.key != string(key) && secret.SameIdentifier(e.ident, r.Identifier) {
				other, err := tx.Find(hex.EncodeToString([]byte(e.key)))
				if err != nil {
					return err
				}
				return &ConflictError{Identifier: r.Identifier, Other: other}
			}
		}
	}
	pt, err := r.MarshalBinary()
	if err != nil {
		return err
	}
	sealed := tx.v.keys.seal(bucketRecords, key, pt)
	if err := tx.btx.Bucket(bucketRecords).Put(key, sealed); err != nil {
		return err
	}
	tx.cat.records = set(tx.cat.records, catEntry{key: string(key), nonce: nonceTag(sealed), name: r.Name, ident: r.Identifier})
	tx.records[r.ID] = r
	tx.dirty = true
	return nil
}

// Delete removes a record by id; ErrNotFound if there is none.
func (tx *Tx) Delete(id string) error {
	if err := tx.loadCatalog(); err != nil {
		return err
	}
	key, err := hex.DecodeString(id)
	if _, ok := find(tx.cat.records, string(key)); err != nil || !ok {
		return fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	if err := tx.btx.Bucket(bucketRecords).Delete(key); err != nil {
		return err
	}
	tx.cat.records = remove(tx.cat.records, string(key))
	delete(tx.records, id)
	tx.dirty = true
	return nil
}

// Blob returns the named sealed blob, or nil if it does not exist.
func (tx *Tx) Blob(name string) ([]byte, error) {
	if err := tx.loadCatalog(); err != nil {
		return nil, err
	}
	val := tx.btx.Bucket(bucketData).Get([]byte(name))
	if val == nil {
		return nil, nil
	}
	pt, err := tx.v.keys.open(bucketData, []byte(name), val)
	if err != nil {
		return nil, tampered("%s does not decrypt in its place", name)
	}
	return bytes.Clone(pt), nil
}

// PutBlob stores a sealed blob under name.
func (tx *Tx) PutBlob(name string, data []byte) error {
	if err := tx.loadCatalog(); err != nil {
		return err
	}
	sealed := tx.v.keys.seal(bucketData, []byte(name), data)
	if err := tx.btx.Bucket(bucketData).Put([]byte(name), sealed); err != nil {
		return err
	}
	tx.cat.blobs = set(tx.cat.blobs, catEntry{key: name, nonce: nonceTag(sealed)})
	tx.dirty = true
	return nil
}

// DeleteBlob removes the named blob.
func (tx *Tx) DeleteBlob(name string) error {
	if err := tx.loadCatalog(); err != nil {
		return err
	}
	if err := tx.btx.Bucket(bucketData).Delete([]byte(name)); err != nil {
		return err
	}
	tx.cat.blobs = remove(tx.cat.blobs, name)
	tx.dirty = true
	return nil
}

// GetJSON decodes the named blob into v; ok is false when it does not exist.
func (tx *Tx) GetJSON(name string, v any) (ok bool, err error) {
	b, err := tx.Blob(name)
	if err != nil || b == nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, tampered("%s: %v", name, err)
	}
	return true, nil
}

// PutJSON stores v, JSON-encoded, as the named blob.
func (tx *Tx) PutJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.PutBlob(name, b)
}

// PublicKeys returns the owner's public keys. The catalog check has made
// sure they are the ones the vault was created with.
func (tx *Tx) PublicKeys() (PublicKeys, error) {
	if err := tx.loadCatalog(); err != nil {
		return PublicKeys{}, err
	}
	var pub PublicKeys
	err := json.Unmarshal(tx.btx.Bucket(bucketMeta).Get(keyPublicKeys), &pub)
	return pub, err
}

// Profile returns the owner's profile.
func (tx *Tx) Profile() (*Profile, error) {
	var p Profile
	ok, err := tx.GetJSON(blobProfile, &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, tampered("the profile is missing")
	}
	return &p, nil
}
