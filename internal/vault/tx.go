package vault

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	mathbits "math/bits"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
)

// Tx is one bbolt transaction over an unlocked vault. Index pages and
// records are read, checked and decrypted only when needed, and cached for
// the transaction.
type Tx struct {
	v      *Vault
	btx    *bolt.Tx
	k      *keys
	root   *root
	mids   map[int]*mid
	leaves map[int]*leaf
	// dirty index pages, written by finish
	dirtyLeaves map[int]bool
	records     map[string]*secret.Record // full records decrypted so far, by id
	metaOnly    map[*secret.Record]bool   // records handed out without their client secret
	dirty       bool
	// changed is set by every write but the Last use a logged use sets
	// (see onlyUses).
	changed    bool
	logChecked logCheck // a check of the log made before the commit
	// allowRollback lets `check --accept-rollback` read a vault whose
	// generation went backwards.
	allowRollback bool
	committed     uint64 // the generation finish wrote
	// pending writes to the records and secrets buckets, by bucket and key
	// (nil: delete). They reach bbolt in key order at the end: bbolt keeps
	// the pages a transaction changes as sorted in-memory nodes, and
	// inserting 100,000 random keys into one of them costs O(n^2).
	pending map[string]map[string][]byte
	change  Change        // who makes this transaction's changes to records
	logged  []audit.Entry // audit log entries to append at the commit
	// legacy is set for a vault whose client secrets are still in a bucket
	// of their own (the first layout of format 2); the next write moves them
	// (moveSecrets).
	legacy bool
	// placed counts the new records given an id in the leaf of one of
	// their lookup hints (see newRecordID).
	placed int
}

func newTx(v *Vault, btx *bolt.Tx, k *keys) *Tx {
	return &Tx{v: v, btx: btx, k: k, mids: map[int]*mid{}, leaves: map[int]*leaf{},
		dirtyLeaves: map[int]bool{}, records: map[string]*secret.Record{}, metaOnly: map[*secret.Record]bool{},
		pending: map[string]map[string][]byte{}, legacy: btx.Bucket(bucketSecrets) != nil}
}

// A record's client secret is stored in the records bucket right after its
// metadata, under the record id followed by secretSuffix, so that both
// usually sit in one bbolt page: an add or an edit rewrites one page and
// one path to it, not two. It is sealed as before, for the place "secrets"
// and the record id, so it never opens as metadata or as another record's
// secret.
const secretSuffix = 's'

func secretKey(id []byte) []byte { return append(id[:idLen:idLen], secretSuffix) }

// secretPlace returns where the client secret of record id is stored.
func (tx *Tx) secretPlace(id []byte) (bucket, key []byte) {
	if tx.legacy {
		return bucketSecrets, id
	}
	return bucketRecords, secretKey(id)
}

// moveSecrets moves every client secret of a legacy vault next to its
// record, as it is (its seal names the record, not the bucket it is kept
// in), and drops the old bucket; the pages it leaves are erased after the
// commit like any other.
func (tx *Tx) moveSecrets() error {
	old := tx.btx.Bucket(bucketSecrets)
	if old == nil {
		return nil
	}
	if err := old.ForEach(func(k, v []byte) error {
		if len(k) != idLen {
			return tampered("client secret %x is not in its place", k)
		}
		tx.put(bucketRecords, secretKey(k), bytes.Clone(v))
		return nil
	}); err != nil {
		return err
	}
	if err := tx.flush(); err != nil {
		return err
	}
	tx.legacy = false
	return tx.btx.DeleteBucket(bucketSecrets)
}

// get reads a value, seeing this transaction's pending writes.
func (tx *Tx) get(bucket, key []byte) []byte {
	if v, ok := tx.pending[string(bucket)][string(key)]; ok {
		return v
	}
	b := tx.btx.Bucket(bucket)
	if b == nil {
		// The versions and log buckets of a vault written before they
		// existed are made by its first write.
		return nil
	}
	return b.Get(key)
}

// put and del queue a write to the records or secrets bucket.
func (tx *Tx) put(bucket, key, val []byte) {
	tx.changed = true
	m := tx.pending[string(bucket)]
	if m == nil {
		m = map[string][]byte{}
		tx.pending[string(bucket)] = m
	}
	m[string(key)] = val
}

func (tx *Tx) del(bucket, key []byte) { tx.put(bucket, key, nil) }

// A transaction that writes at least bulkWrites records or client secrets
// (an import) fills bbolt's pages to bulkFill instead of half: its keys
// arrive in order, and fuller pages make a smaller file and shallower
// trees, so every later command reads and writes fewer pages. (Index
// pages, about 2 KiB each at 100,000 records, gain nothing from it.)
const (
	bulkWrites = 1000
	bulkFill   = 0.9
)

// flush writes the pending writes to bbolt, in key order.
func (tx *Tx) flush() error {
	for name, m := range tx.pending {
		b, err := tx.btx.CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return err
		}
		if len(m) >= bulkWrites {
			b.FillPercent = bulkFill
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var err error
			if v := m[k]; v == nil {
				err = b.Delete([]byte(k))
			} else {
				err = b.Put([]byte(k), v)
			}
			if err != nil {
				return err
			}
		}
		delete(tx.pending, name)
	}
	return nil
}

// View runs fn in a read-only transaction.
func (v *Vault) View(fn func(*Tx) error) error {
	if v.keys == nil {
		return ErrLocked
	}
	var seen uint64
	err := v.guard(func() error {
		return v.db.View(func(btx *bolt.Tx) error {
			tx := newTx(v, btx, v.keys)
			if err := fn(tx); err != nil {
				return err
			}
			if tx.root != nil {
				seen = tx.root.generation
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	v.rememberRead(seen)
	return nil
}

// Update runs fn in a read-write transaction. If fn returns an error nothing
// is written. After the commit, while the file is still locked, the pages
// the commit freed are overwritten with zeros, so no old version of a value
// stays in the file; except after a commit that only records uses (see
// onlyUses): the pages it frees hold older copies of what it keeps (the
// records used, with an earlier Last use, an index page, the log's last
// page with fewer entries), nothing that was removed or replaced, and are
// erased by the next commit that changes the vault.
func (v *Vault) Update(fn func(*Tx) error) error {
	if v.keys == nil {
		return ErrLocked
	}
	if v.readOnly {
		if err := v.Reopen(false); err != nil {
			return err
		}
	}
	if err := v.canRecord(); err != nil {
		return err
	}
	var uses bool
	gen, err := v.commit(func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		uses = tx.onlyUses()
		return nil
	})
	if err != nil {
		return err
	}
	if !uses {
		if err := v.wipe(); err != nil {
			return err
		}
	}
	return v.remember(gen)
}

// commit runs fn in one bbolt write transaction, guarded against damaged
// files, then seals the changed index pages and the root, and returns the
// new generation (0 when nothing changed). fn may replace the Tx's keys or
// root before it writes.
func (v *Vault) commit(fn func(*Tx) error) (gen uint64, err error) {
	err = v.guard(func() error {
		return v.db.Update(func(btx *bolt.Tx) error {
			tx := newTx(v, btx, v.keys)
			if tx.legacy && tx.k != nil {
				if err := tx.moveSecrets(); err != nil {
					return err
				}
			}
			if err := fn(tx); err != nil {
				return err
			}
			if err := tx.finish(); err != nil {
				return err
			}
			gen = tx.committed
			return nil
		})
	})
	return gen, err
}

// Now returns the vault's clock reading.
func (tx *Tx) Now() time.Time { return tx.v.now().UTC() }

// Generation returns the vault's generation: the number of commits since it
// was created (or upgraded).
func (tx *Tx) Generation() (uint64, error) {
	if err := tx.loadRoot(); err != nil {
		return 0, err
	}
	return tx.root.generation, nil
}

// Len returns the number of records, as the sealed root counts them: a
// size to make room for, read without reading the records.
func (tx *Tx) Len() (int, error) {
	if err := tx.loadRoot(); err != nil {
		return 0, err
	}
	return tx.recordCount(), nil
}

func tampered(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrTampered, fmt.Sprintf(format, a...))
}

// loadRoot opens the root and checks it against the meta bucket and against
// the highest generation seen before.
func (tx *Tx) loadRoot() error {
	if tx.root != nil {
		return nil
	}
	meta := tx.btx.Bucket(bucketMeta)
	pt, err := tx.k.root.open(bucketMeta, keyRoot, sealedRoot(tx.btx))
	if err != nil {
		return tampered("the root does not decrypt")
	}
	r, err := unmarshalRoot(pt)
	if errors.Is(err, errNewerRoot) {
		return fmt.Errorf("%s: %w (its index is of version %d; this mysafe reads versions up to %d)", tx.v.path, ErrNewer, pt[0], rootVersion)
	}
	if err != nil {
		return tampered("the root: %v", err)
	}
	if r.binding != bindingOf(meta.Get(keyVaultID), meta.Get(keyIdentity), meta.Get(keyDataKey), meta.Get(keyPublicKeys)) {
		return tampered("the sealed identity, data key or public keys do not belong to this version of the vault")
	}
	if seen := tx.v.seen; r.generation < seen && !tx.allowRollback {
		return &RollbackError{Path: tx.v.path, Found: r.generation, Seen: seen}
	}
	tx.root = r
	return nil
}

// sealedRoot returns the sealed root: in the head bucket, or where a vault
// not written since the head bucket came kept it, in the meta bucket. Once
// the head bucket exists, a root in the meta bucket is never read.
func sealedRoot(btx *bolt.Tx) []byte {
	if head := btx.Bucket(bucketHead); head != nil {
		return head.Get(keyRoot)
	}
	return btx.Bucket(bucketMeta).Get(keyRoot)
}

// midPage returns middle page n, checked against the root's tag.
func (tx *Tx) midPage(n int) (*mid, error) {
	if m, ok := tx.mids[n]; ok {
		return m, nil
	}
	if err := tx.loadRoot(); err != nil {
		return nil, err
	}
	key := midKey(n, tx.root.version)
	pt, err := tx.checked(bucketIndex, key, tx.root.mids[n], &tx.k.index, "index page")
	if err != nil {
		return nil, err
	}
	m := &mid{}
	if pt != nil {
		if m, err = unmarshalMid(pt); err != nil {
			return nil, tampered("index page %x: %v", key, err)
		}
	}
	tx.mids[n] = m
	return m, nil
}

// leafPage returns leaf n, checked against its middle page's tag.
func (tx *Tx) leafPage(n int) (*leaf, error) {
	if l, ok := tx.leaves[n]; ok {
		return l, nil
	}
	m, err := tx.midPage(n / leavesPerMid)
	if err != nil {
		return nil, err
	}
	key := leafKey(n)
	pt, err := tx.checked(bucketIndex, key, m.tags[n%leavesPerMid], &tx.k.index, "index page")
	if err != nil {
		return nil, err
	}
	l := &leaf{}
	if pt != nil {
		if l, err = unmarshalLeaf(pt); err != nil {
			return nil, tampered("index page %x: %v", key, err)
		}
	}
	tx.leaves[n] = l
	return l, nil
}

// checked reads bucket/key and opens it, after checking that it is the
// version t names. A zero t means the value must be absent (nil, nil).
func (tx *Tx) checked(bucket, key []byte, t tag, s *sealer, what string) ([]byte, error) {
	return tx.checkedAt(bucket, key, bucket, key, t, s, what)
}

// checkedAt is checked for a value stored at storeBucket/storeKey and
// sealed for the place bucket/key.
func (tx *Tx) checkedAt(storeBucket, storeKey, bucket, key []byte, t tag, s *sealer, what string) ([]byte, error) {
	return tx.checkedScratch(nil, storeBucket, storeKey, bucket, key, t, s, what)
}

// checkedScratch is checkedAt decrypting in sc's buffers (nil: new ones).
func (tx *Tx) checkedScratch(sc *scratch, storeBucket, storeKey, bucket, key []byte, t tag, s *sealer, what string) ([]byte, error) {
	val := tx.get(storeBucket, storeKey)
	switch {
	case t.zero() && val == nil:
		return nil, nil
	case t.zero():
		return nil, tampered("%s %x was added behind mysafe's back", what, key)
	case val == nil:
		return nil, tampered("%s %x was removed behind mysafe's back", what, key)
	case tagOf(val) != t:
		return nil, tampered("%s %x was replaced, by an older version or otherwise", what, key)
	}
	pt, err := s.openScratch(sc, bucket, key, val)
	if err != nil {
		return nil, tampered("%s %x does not decrypt in its place", what, key)
	}
	return pt, nil
}

// entry returns an index entry's value.
func (tx *Tx) entry(kind byte, key string) (string, bool, error) {
	l, err := tx.leafPage(leafOf(kind, key))
	if err != nil {
		return "", false, err
	}
	v, ok := l.get(kind, key)
	return v, ok, nil
}

// setEntry changes an index entry; an empty val removes it.
func (tx *Tx) setEntry(kind byte, key, val string) error {
	n := leafOf(kind, key)
	l, err := tx.leafPage(n)
	if err != nil {
		return err
	}
	if val == "" {
		l.remove(kind, key)
	} else {
		l.set(kind, key, val)
	}
	tx.dirtyLeaves[n] = true
	tx.dirty, tx.changed = true, true
	return nil
}

// recordTags splits a record entry's value into the tags of its metadata
// and its client secret (a third tag, of its history, follows when it has
// one: see histTag).
func recordTags[T string | []byte](val T) (meta, sec tag, ok bool) {
	var hist tag
	if len(val) == 3*tagLen {
		copy(hist[:], val[2*tagLen:])
	}
	if len(val) != 2*tagLen && (len(val) != 3*tagLen || hist.zero()) {
		return meta, sec, false
	}
	copy(meta[:], val)
	copy(sec[:], val[tagLen:])
	return meta, sec, true
}

// openMeta decrypts a record's metadata (everything but the client secret),
// checked against the index entry.
func (tx *Tx) openMeta(key []byte, val []byte, entryVal string) (*secret.Record, error) {
	mt, _, ok := recordTags(entryVal)
	if !ok {
		return nil, tampered("index entry of record %x is malformed", key)
	}
	r := &secret.Record{}
	return r, tx.openMetaInto(r, (*secret.Record).UnmarshalBinary, key, val, mt, nil)
}

// openMetaInto is openMeta for the record whose metadata has tag mt,
// decoded into r by decode, decrypting in sc's buffers (nil: new ones).
func (tx *Tx) openMetaInto(r *secret.Record, decode func(*secret.Record, []byte) error, key []byte, val []byte, mt tag, sc *scratch) error {
	if val == nil {
		return tampered("record %x was removed behind mysafe's back", key)
	}
	if tagOf(val) != mt {
		return tampered("record %x was replaced, by an older version or otherwise", key)
	}
	pt, err := tx.k.records.openScratch(sc, bucketRecords, key, val)
	if err == nil {
		pt, err = unpad(pt)
	}
	if err != nil {
		return tampered("record %x does not decrypt in its place", key)
	}
	if err := decode(r, pt); err != nil {
		return tampered("record %x: %v", key, err)
	}
	var id [2 * idLen]byte
	if len(key) != idLen || r.ID != string(hex.AppendEncode(id[:0], key)) || !r.ClientSecret.IsZero() {
		return tampered("record %x is not in its place", key)
	}
	return nil
}

// record returns the record with the given 8-byte key, client secret
// included, or nil when there is none.
func (tx *Tx) record(key string) (*secret.Record, error) {
	id := hex.EncodeToString([]byte(key))
	if r, ok := tx.records[id]; ok && !tx.metaOnly[r] {
		return r, nil
	}
	ev, ok, err := tx.entry(kindRecord, key)
	if err != nil || !ok {
		if ok = tx.get(bucketRecords, []byte(key)) != nil; ok && err == nil {
			return nil, tampered("record %x was added behind mysafe's back", key)
		}
		return nil, err
	}
	// A copy handed out by List is left alone (its holder may be changing
	// it); the full record replaces it in the cache.
	r, err := tx.openMeta([]byte(key), tx.get(bucketRecords, []byte(key)), ev)
	if err != nil {
		return nil, err
	}
	if err := tx.openSecret(r, ev); err != nil {
		return nil, err
	}
	tx.records[id] = r
	return r, nil
}

func (tx *Tx) openSecret(r *secret.Record, entryVal string) error {
	key, _ := hex.DecodeString(r.ID)
	_, st, _ := recordTags(entryVal)
	sb, sk := tx.secretPlace(key)
	pt, err := tx.checkedAt(sb, sk, bucketSecrets, key, st, &tx.k.records, "client secret of record")
	if err == nil && pt != nil {
		pt, err = unpad(pt)
		if err != nil {
			err = tampered("client secret of record %x does not decrypt in its place", key)
		}
	}
	if err != nil {
		return err
	}
	if pt == nil {
		return tampered("client secret of record %x is missing", key)
	}
	r.ClientSecret = secret.NewValueBytes(pt)
	clear(pt)
	return nil
}

func (tx *Tx) identHint(ident string) string {
	return tx.k.hint(kindIdent, secret.FoldIdentifier(ident))
}
func (tx *Tx) nameHint(name string) string { return tx.k.hint(kindName, name) }

// hinted returns the records a lookup hint lists.
func (tx *Tx) hinted(kind byte, hint string) ([]*secret.Record, error) {
	ids, _, err := tx.entry(kind, hint)
	if err != nil {
		return nil, err
	}
	var out []*secret.Record
	for _, key := range splitIDs(ids) {
		r, err := tx.record(key)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, tampered("a lookup hint names record %x, which does not exist", key)
		}
		out = append(out, r)
	}
	return out, nil
}

// Find resolves a reference (identifier, id or exact name) with secret.Find.
// It decrypts only the records found under the reference's keys
// (secret.RefKeys): the record named by the id, and those the lookup hints
// list for the identifier and the name. The hints live in the authenticated
// index, and every candidate is checked by secret.Find against its
// decrypted fields, so a wrong hint cannot make another record match.
func (tx *Tx) Find(ref string) (*secret.Record, error) {
	keys := secret.RefKeys(ref)
	var cands []*secret.Record
	seen := map[string]bool{}
	addAll := func(rs []*secret.Record) {
		for _, r := range rs {
			if !seen[r.ID] {
				seen[r.ID] = true
				cands = append(cands, r)
			}
		}
	}
	if keys.ID != "" {
		key, _ := hex.DecodeString(keys.ID)
		r, err := tx.record(string(key))
		if err != nil {
			return nil, err
		}
		if r != nil {
			addAll([]*secret.Record{r})
		}
	}
	for _, h := range []struct {
		kind byte
		hint string
	}{{kindIdent, tx.k.hint(kindIdent, keys.Identifier)}, {kindName, tx.nameHint(keys.Name)}} {
		rs, err := tx.hinted(h.kind, h.hint)
		if err != nil {
			return nil, err
		}
		addAll(rs)
	}
	r, err := secret.Find(cands, ref)
	var nf *secret.NotFoundError
	if errors.As(err, &nf) {
		// Only on a miss, and only from this unlocked vault: what the
		// user probably meant.
		if all, lerr := tx.List(); lerr == nil {
			nf.Suggestions = secret.Suggest(all, ref)
		}
	}
	return r, err
}

// Records returns every record, client secrets included, in no particular
// order. The records are the transaction's own copies: modify one and Put it
// back to change the vault.
func (tx *Tx) Records() ([]*secret.Record, error) {
	recs, err := tx.List()
	if err != nil {
		return nil, err
	}
	for i, r := range recs {
		if !tx.metaOnly[r] {
			continue
		}
		key, _ := hex.DecodeString(r.ID)
		ev, _, err := tx.entry(kindRecord, string(key))
		if err != nil {
			return nil, err
		}
		if err := tx.openSecret(r, ev); err != nil {
			return nil, err
		}
		delete(tx.metaOnly, r)
		tx.records[r.ID] = r
		recs[i] = r
	}
	return recs, nil
}

// List returns every record without its client secret (ClientSecret is
// empty), in no particular order: listing and searching never decrypt a
// client secret. A listed record may be changed and Put back; its client
// secret then stays as it is.
func (tx *Tx) List() ([]*secret.Record, error) {
	out := make([]*secret.Record, 0, tx.recordCount())
	err := tx.scan(func(key, val []byte, mt tag, sc *scratch) error {
		id := hex.EncodeToString(key)
		if r, ok := tx.records[id]; ok {
			out = append(out, r)
			return nil
		}
		r := &secret.Record{}
		if err := tx.openMetaInto(r, (*secret.Record).UnmarshalBinary, key, val, mt, sc); err != nil {
			return err
		}
		tx.metaOnly[r] = true
		tx.records[id] = r
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each calls fn with the metadata of every record (ClientSecret is empty),
// in the order of their ids, decrypting one record at a time and keeping
// none, so that a listing needs memory only for what it shows. fn gets the
// same *secret.Record every time, refilled: it must not keep the pointer,
// but may keep the strings in it (they are the record's own) or a copy
// of it. Changing it changes nothing in the vault. Each checks every
// record against the index as List does, and stops at fn's first error,
// which it returns.
func (tx *Tx) Each(fn func(*secret.Record) error) error {
	return tx.each((*secret.Record).UnmarshalBinary, fn)
}

// EachView is Each for a caller that copies what it keeps: the record fn
// gets, and every string in it, points into the buffer the record was
// decrypted into, which the next record overwrites. It is valid until fn
// returns and no longer (secret.Record.UnmarshalView). Decrypting and
// decoding a record then allocates nothing, and no copy of any record's
// metadata is left behind in memory. Every record is checked as by Each.
func (tx *Tx) EachView(fn func(*secret.Record) error) error {
	return tx.each((*secret.Record).UnmarshalView, fn)
}

func (tx *Tx) each(decode func(*secret.Record, []byte) error, fn func(*secret.Record) error) error {
	var r secret.Record
	return tx.scan(func(key, val []byte, mt tag, sc *scratch) error {
		if err := tx.openMetaInto(&r, decode, key, val, mt, sc); err != nil {
			return err
		}
		return fn(&r)
	})
}

// recordCount is the number of records the root counts, 0 before it is read.
func (tx *Tx) recordCount() int {
	if tx.root == nil {
		return 0
	}
	return int(min(tx.root.records, 1<<24))
}

// scan calls fn with every record's key, sealed metadata and the tag its
// index entry names, in key order, after checking that the records bucket
// and the index name the same records. It reads each index leaf once
// (keeping only the record entries) and walks the records bucket once,
// instead of looking up one leaf per record: once the index's record
// entries are sorted by id, the two meet like the halves of a merge. fn
// gets a scratch buffer for decrypting.
func (tx *Tx) scan(fn func(key, val []byte, mt tag, sc *scratch) error) error {
	if err := tx.loadRoot(); err != nil {
		return err
	}
	if err := tx.flush(); err != nil {
		return err
	}
	var sc scratch
	defer sc.wipe()
	entries, err := tx.recordEntries(&sc)
	if err != nil {
		return err
	}
	j := 0
	err = tx.btx.Bucket(bucketRecords).ForEach(func(key, val []byte) error {
		if len(key) == idLen+1 && key[idLen] == secretSuffix {
			return nil // a client secret, checked when it is read
		}
		if len(key) != idLen {
			return tampered("record %x was added behind mysafe's back", key)
		}
		k := binary.BigEndian.Uint64(key)
		if j < len(entries) && entries[j].key < k {
			return tampered("record %x was removed behind mysafe's back", binary.BigEndian.AppendUint64(nil, entries[j].key))
		}
		if j == len(entries) || entries[j].key != k {
			return tampered("record %x was added behind mysafe's back", key)
		}
		j++
		return fn(key, val, entries[j-1].meta, &sc)
	})
	if err != nil {
		return err
	}
	if j != len(entries) {
		return tampered("records were removed behind mysafe's back")
	}
	return nil
}

// metaEntry is what scan needs of a record's index entry: the record id as
// a number and the tag of its metadata.
type metaEntry struct {
	key  uint64
	meta tag
}

// sortEntries sorts es by key. Record ids are random, so one counting pass
// over their first bits (about as many groups as entries, at most 65,536)
// puts every entry within a few places of where it belongs, in order of
// memory, and each small group is then sorted on its own; a comparison
// sort of 100,000 entries spends most of its time waiting for memory. Ids
// that are not random (a record's id comes with it from a share bundle)
// only make some groups larger.
func sortEntries(es []metaEntry) {
	bits := min(max(mathbits.Len(uint(len(es))), 1), 16)
	start := make([]int, 1<<bits+1)
	for _, e := range es {
		start[e.key>>(64-bits)+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	tmp := make([]metaEntry, len(es))
	next := slices.Clone(start[:1<<bits])
	for _, e := range es {
		g := e.key >> (64 - bits)
		tmp[next[g]] = e
		next[g]++
	}
	for g := range 1 << bits {
		group := tmp[start[g]:start[g+1]]
		switch len(group) {
		case 0, 1:
		case 2:
			if group[0].key > group[1].key {
				group[0], group[1] = group[1], group[0]
			}
		default:
			slices.SortFunc(group, func(a, b metaEntry) int { return cmp.Compare(a.key, b.key) })
		}
	}
	copy(es, tmp)
}

// recordEntries returns the record entries of every index leaf, sorted by
// record id, each leaf checked as leafPage checks it. Leaves not read
// before are read in place and not kept.
func (tx *Tx) recordEntries(sc *scratch) ([]metaEntry, error) {
	out := make([]metaEntry, 0, tx.recordCount())
	var bad []byte
	add := func(key, val []byte) {
		mt, _, ok := recordTags(val)
		if len(key) != idLen || !ok {
			bad = key
			return
		}
		out = append(out, metaEntry{binary.BigEndian.Uint64(key), mt})
	}
	for n := range numLeaves {
		if l, ok := tx.leaves[n]; ok {
			i, _ := l.find(kindRecord, "")
			for ; i < len(l.entries) && l.entries[i].kind == kindRecord; i++ {
				add([]byte(l.entries[i].key), []byte(l.entries[i].val))
			}
		} else {
			m, err := tx.midPage(n / leavesPerMid)
			if err != nil {
				return nil, err
			}
			key := leafKey(n)
			pt, err := tx.checkedScratch(sc, bucketIndex, key, bucketIndex, key, m.tags[n%leavesPerMid], &tx.k.index, "index page")
			if err != nil {
				return nil, err
			}
			if pt == nil {
				continue // an empty leaf is not stored
			}
			err = walkLeaf(pt, func(int) {}, func(kind byte, k, v span) {
				if kind == kindRecord {
					add(pt[k.from:k.to], pt[v.from:v.to])
				}
			})
			if err != nil {
				return nil, tampered("index page %x: %v", key, err)
			}
		}
		if bad != nil {
			return nil, tampered("index entry of record %x is malformed", bad)
		}
	}
	if uint64(len(out)) != tx.root.records {
		return nil, tampered("the index does not count the records the root counts")
	}
	sortEntries(out)
	return out, nil
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
// identifier that another record already has. The identifier check reads
// one lookup hint, whatever the number of records.
func (tx *Tx) Put(r *secret.Record) error {
	if err := tx.loadRoot(); err != nil {
		return err
	}
	if r.ID == "" {
		target := -1
		if tx.placed < placedPerTx {
			tx.placed++
			target = tx.hintLeaf(r)
		}
		for {
			r.ID = newRecordID(target)
			key, _ := hex.DecodeString(r.ID)
			if _, taken, err := tx.entry(kindRecord, string(key)); err != nil {
				return err
			} else if !taken {
				break
			}
		}
	}
	if r.UID == "" {
		r.UID = secret.NewUID()
	}
	keyb, err := hex.DecodeString(r.ID)
	if err != nil || len(keyb) != idLen {
		return fmt.Errorf("invalid record id %q", r.ID)
	}
	key := string(keyb)
	keepSecret := tx.metaOnly[r] && r.ClientSecret.IsZero()
	var old *secret.Record
	ev, exists, err := tx.entry(kindRecord, key)
	if err != nil {
		return err
	}
	if exists {
		// The stored version, read afresh: r may be the transaction's own
		// cached copy, already changed by the caller.
		if old, err = tx.openMeta(keyb, tx.get(bucketRecords, keyb), ev); err != nil {
			return err
		}
		if !keepSecret {
			if err := tx.openSecret(old, ev); err != nil {
				return err
			}
		}
	} else if keepSecret {
		return fmt.Errorf("record %s: %w", r.ID, ErrNotFound)
	}
	if r.Identifier != "" {
		others, err := tx.hinted(kindIdent, tx.identHint(r.Identifier))
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.ID != r.ID && secret.SameIdentifier(o.Identifier, r.Identifier) {
				return &ConflictError{Identifier: r.Identifier, Other: o}
			}
		}
	}

	// The metadata part: the record without its client secret.
	m := *r
	m.ClientSecret = secret.Value{}
	pt, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	// A Put that changes nothing but the Last use is not a change (see
	// onlyUses).
	if exists && (keepSecret || old.ClientSecret.Equal(r.ClientSecret)) {
		m.LastUsedAt = old.LastUsedAt
		if same, err := m.MarshalBinary(); err == nil && bytes.Equal(same, metaEncoding(old)) {
			changed := tx.changed
			defer func() { tx.changed = changed }()
		}
	}
	sealedMeta := tx.k.records.seal(bucketRecords, keyb, pad(pt))
	clear(pt)
	tx.put(bucketRecords, keyb, sealedMeta)
	_, secTag, _ := recordTags(ev)
	ht := histTag(ev)
	if exists {
		// A change of content keeps the version it replaces, client
		// secret included.
		// (Without its client secret, r keeps the stored one: both are
		// empty here, so the secret does not count as changed.)
		changed := r.ChangedFields(old)
		if len(changed) > 0 {
			if keepSecret {
				if err := tx.openSecret(old, ev); err != nil {
					return err
				}
			}
			if ht, err = tx.keepVersion(key, ev, old, r, changed); err != nil {
				return err
			}
		}
	}
	if !exists || (!keepSecret && !old.ClientSecret.Equal(r.ClientSecret)) {
		sealedSec := tx.k.records.seal(bucketSecrets, keyb, pad(r.ClientSecret.Bytes()))
		sb, sk := tx.secretPlace(keyb)
		tx.put(sb, sk, sealedSec)
		secTag = tagOf(sealedSec)
	}
	if err := tx.setEntry(kindRecord, key, entryValue(tagOf(sealedMeta), secTag, ht)); err != nil {
		return err
	}

	// Lookup hints.
	var oldName, oldIdent string
	if exists {
		oldName, oldIdent = old.Name, old.Identifier
	} else {
		tx.root.records++
	}
	if err := tx.moveHint(kindName, key, oldName, r.Name, exists, tx.nameHint); err != nil {
		return err
	}
	if !exists || secret.FoldIdentifier(oldIdent) != secret.FoldIdentifier(r.Identifier) {
		if err := tx.moveHint(kindIdent, key, oldIdent, r.Identifier, exists, tx.identHint); err != nil {
			return err
		}
	}
	if keepSecret {
		tx.metaOnly[r] = true
	} else {
		delete(tx.metaOnly, r)
	}
	tx.records[r.ID] = r
	tx.dirty = true
	return nil
}

// metaEncoding is a record's metadata encoding (nil if it does not encode).
func metaEncoding(r *secret.Record) []byte {
	m := *r
	m.ClientSecret = secret.Value{}
	b, _ := m.MarshalBinary()
	return b
}

// placedPerTx bounds the new records of one transaction whose id is
// searched for (about a millisecond each): an add or an edit gets one,
// a large import gains nothing from it, as it rewrites most leaves anyway.
const placedPerTx = 16

// hintLeaf returns the index leaf of a record's identifier hint (or, with
// no identifier, of its name hint), -1 when it has neither.
func (tx *Tx) hintLeaf(r *secret.Record) int {
	switch {
	case r.Identifier != "":
		return leafOf(kindIdent, tx.identHint(r.Identifier))
	case r.Name != "":
		return leafOf(kindName, tx.nameHint(r.Name))
	}
	return -1
}

// newRecordID returns a random record id (hex) whose index entry lives in
// leaf target (any leaf when target is negative). A new record changes
// its own entry and its hints; with the entry in the same leaf as a hint,
// an add rewrites one index leaf (and one middle page) fewer. The id stays
// uniformly random among those of its leaf, and the leaf says nothing a
// file reader can use: it is a hash of a keyed hash of the identifier.
// After about 2^16 tries (practically never) any id does.
func newRecordID(target int) string {
	var buf [idLen * 64]byte
	for try := 0; ; try++ {
		if try%64 == 0 {
			if _, err := rand.Read(buf[:]); err != nil {
				panic("mysafe: system random source failed: " + err.Error())
			}
		}
		key := buf[(try%64)*idLen:][:idLen]
		if target < 0 || try >= 1<<16 || leafOf(kindRecord, string(key)) == target {
			return hex.EncodeToString(key)
		}
	}
}

// moveHint takes id out of the hint for from (when existed) and adds it to
// the hint for to; empty values have no hint.
func (tx *Tx) moveHint(kind byte, id, from, to string, existed bool, hint func(string) string) error {
	if existed && from == to {
		return nil
	}
	if existed && from != "" {
		h := hint(from)
		ids, _, err := tx.entry(kind, h)
		if err != nil {
			return err
		}
		if err := tx.setEntry(kind, h, removeID(ids, id)); err != nil {
			return err
		}
	}
	if to != "" {
		h := hint(to)
		ids, _, err := tx.entry(kind, h)
		if err != nil {
			return err
		}
		return tx.setEntry(kind, h, addID(ids, id))
	}
	return nil
}

// Delete removes a record by id; ErrNotFound if there is none.
func (tx *Tx) Delete(id string) error {
	if err := tx.loadRoot(); err != nil {
		return err
	}
	keyb, err := hex.DecodeString(id)
	if err != nil || len(keyb) != idLen {
		return fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	key := string(keyb)
	ev, ok, err := tx.entry(kindRecord, key)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	old, err := tx.openMeta(keyb, tx.get(bucketRecords, keyb), ev)
	if err != nil {
		return err
	}
	if err := tx.deleteHistory(key, ev, old); err != nil {
		return err
	}
	tx.del(bucketRecords, keyb)
	tx.del(tx.secretPlace(keyb))
	if err := tx.setEntry(kindRecord, key, ""); err != nil {
		return err
	}
	if err := tx.moveHint(kindName, key, old.Name, "", true, tx.nameHint); err != nil {
		return err
	}
	if err := tx.moveHint(kindIdent, key, old.Identifier, "", true, tx.identHint); err != nil {
		return err
	}
	tx.root.records--
	delete(tx.records, id)
	return nil
}

// finish seals the changed index pages and a new root with the next
// generation, if anything changed.
func (tx *Tx) finish() error {
	if err := tx.flush(); err != nil {
		return err
	}
	if !tx.dirty {
		return nil
	}
	index := tx.btx.Bucket(bucketIndex)
	switch {
	case len(tx.dirtyLeaves) >= bulkWrites:
		index.FillPercent = fullIndexFill
	case tx.onlyUses():
		// Nothing in the index grows but the audit log, whose pages
		// appends never touch again once they are split.
		index.FillPercent = fullIndexFill
	default:
		index.FillPercent = indexFill
	}
	dirtyMids := map[int]bool{}
	if err := tx.upgradeLayout(index, dirtyMids); err != nil {
		return err
	}
	for _, n := range slices.Sorted(maps.Keys(tx.dirtyLeaves)) {
		l := tx.leaves[n]
		m := tx.mids[n/leavesPerMid]
		key := leafKey(n)
		if len(l.entries) == 0 {
			if err := deleteLeaf(index, n); err != nil {
				return err
			}
			m.tags[n%leavesPerMid] = tag{}
		} else {
			sealed := tx.k.index.seal(bucketIndex, key, l.marshal())
			if err := putLeaf(index, n, sealed); err != nil {
				return err
			}
			m.tags[n%leavesPerMid] = tagOf(sealed)
		}
		dirtyMids[n/leavesPerMid] = true
	}
	for _, n := range slices.Sorted(maps.Keys(dirtyMids)) {
		m := tx.mids[n]
		key := midKey(n, tx.root.version)
		if m.empty() {
			if err := index.Delete(key); err != nil {
				return err
			}
			tx.root.mids[n] = tag{}
			continue
		}
		sealed := tx.k.index.seal(bucketIndex, key, m.marshal())
		if err := index.Put(key, sealed); err != nil {
			return err
		}
		tx.root.mids[n] = tagOf(sealed)
	}
	if err := tx.appendLog(); err != nil {
		return err
	}
	return tx.sealRoot()
}

// upgradeLayout brings a vault whose root predates version 5 to the
// current layout in the commit that first writes it. The middle pages of
// a root before version 4 move to their keys after the leaves (see
// midKey): each is read and checked where it was, deleted there, and
// marked dirty, so that finish seals it again at its new key. The audit
// log's entries move from the log bucket to the index bucket (see
// logStore), as they are: each is sealed for its place in the log, wherever
// it is kept, and the log is checked after the move like any other.
func (tx *Tx) upgradeLayout(index *bolt.Bucket, dirty map[int]bool) error {
	if tx.root.version >= rootVersion {
		return nil
	}
	if err := tx.moveLog(index); err != nil {
		return err
	}
	if tx.root.version >= rootVersion4 {
		tx.root.version = rootVersion
		return nil
	}
	for n := range numMids {
		if tx.root.mids[n].zero() {
			continue
		}
		if _, err := tx.midPage(n); err != nil {
			return err
		}
		if err := index.Delete(midKey(n, tx.root.version)); err != nil {
			return err
		}
		dirty[n] = true
	}
	tx.root.version = rootVersion
	return nil
}

// sealRoot writes the root with the next generation, bound to the meta
// bucket's current values.
func (tx *Tx) sealRoot() error {
	meta := tx.btx.Bucket(bucketMeta)
	if meta.Get(keyIdentityCheck) == nil && tx.v.identity != nil {
		// A vault from before the identity check gets one on its next write.
		if err := meta.Put(keyIdentityCheck, identityCheck(meta.Get(keyVaultID), tx.v.identity)); err != nil {
			return err
		}
	}
	tx.root.generation++
	tx.root.binding = bindingOf(meta.Get(keyVaultID), meta.Get(keyIdentity), meta.Get(keyDataKey), meta.Get(keyPublicKeys))
	head, err := tx.btx.CreateBucketIfNotExists(bucketHead)
	if err != nil {
		return err
	}
	// Sealed for its first place, meta/root, wherever it is kept.
	if err := head.Put(keyRoot, tx.k.root.seal(bucketMeta, keyRoot, tx.root.marshal())); err != nil {
		return err
	}
	if meta.Get(keyRoot) != nil {
		// An older vault's root moves to the head bucket.
		if err := meta.Delete(keyRoot); err != nil {
			return err
		}
	}
	tx.committed = tx.root.generation
	return nil
}

// Blob returns the named sealed blob, or nil if it does not exist.
func (tx *Tx) Blob(name string) ([]byte, error) {
	ev, _, err := tx.entry(kindBlob, name)
	if err != nil {
		return nil, err
	}
	var t tag
	copy(t[:], ev)
	pt, err := tx.checked(bucketData, []byte(name), t, &tx.k.blobs, "data blob")
	if err != nil || pt == nil {
		return nil, err
	}
	if pt, err = unpad(pt); err != nil {
		return nil, tampered("data blob %s does not decrypt in its place", name)
	}
	return bytes.Clone(pt), nil
}

// PutBlob stores a sealed blob under name.
func (tx *Tx) PutBlob(name string, data []byte) error {
	if err := tx.loadRoot(); err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("empty blob name")
	}
	tx.changed = true
	sealed := tx.k.blobs.seal(bucketData, []byte(name), pad(data))
	if err := tx.btx.Bucket(bucketData).Put([]byte(name), sealed); err != nil {
		return err
	}
	t := tagOf(sealed)
	return tx.setEntry(kindBlob, name, string(t[:]))
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

// PublicKeys returns the owner's public keys. The root binds them, so they
// are the ones the vault was created with.
func (tx *Tx) PublicKeys() (PublicKeys, error) {
	if err := tx.loadRoot(); err != nil {
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
