package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/chacha20poly1305"
)

// The index is a tree of sealed pages under a sealed root (see
// docs/security.md, "File format"):
//
//	root   generation, record count, binding hash, one tag per middle page
//	middle (64) one tag per leaf below it
//	leaf   (4096) entries: record id -> tags of its two sealed parts,
//	       lookup hint -> record ids, blob name -> tag
//
// A tag is the first tagLen bytes of a sealed value's random nonce: every
// write gives a value a new nonce, so a tag names one version of a value.
// Checking one record reads the root, one middle page and one leaf,
// whatever the number of records.
const (
	numMids      = 64
	leavesPerMid = 64
	numLeaves    = numMids * leavesPerMid
	tagLen       = 12
	idLen        = 8
)

// tag names one sealed version of a value; the zero tag means "absent".
type tag [tagLen]byte

func tagOf(sealed []byte) (t tag) {
	copy(t[:], sealed[:min(len(sealed), chacha20poly1305.NonceSizeX)])
	return t
}

func (t tag) zero() bool { return t == tag{} }

// Entry kinds of a leaf.
const (
	kindRecord = 'r' // key: record id (8 bytes); value: tag of the metadata, tag of the client secret
	kindIdent  = 'i' // key: hint of the folded identifier; value: record ids
	kindName   = 'n' // key: hint of the name; value: record ids
	kindBlob   = 'b' // key: blob name; value: tag
)

// leafOf places an entry: the first 12 bits of a hash of kind and key.
func leafOf(kind byte, key string) int {
	var in [1 + 64]byte
	b := append(in[:0], kind)
	b = append(b, key...)
	sum := sha256.Sum256(b)
	return int(binary.BigEndian.Uint16(sum[:2]) >> 4)
}

type entry struct {
	kind byte
	key  string
	val  string
}

func cmpEntry(a entry, kind byte, key string) int {
	if a.kind != kind {
		return int(a.kind) - int(kind)
	}
	return strings.Compare(a.key, key)
}

// leaf is one index leaf: entries sorted by kind, then key.
type leaf struct{ entries []entry }

func (l *leaf) find(kind byte, key string) (int, bool) {
	return slices.BinarySearchFunc(l.entries, key, func(e entry, k string) int { return cmpEntry(e, kind, k) })
}

func (l *leaf) get(kind byte, key string) (string, bool) {
	if i, ok := l.find(kind, key); ok {
		return l.entries[i].val, true
	}
	return "", false
}

func (l *leaf) set(kind byte, key, val string) {
	i, ok := l.find(kind, key)
	if ok {
		l.entries[i].val = val
		return
	}
	l.entries = slices.Insert(l.entries, i, entry{kind, key, val})
}

func (l *leaf) remove(kind byte, key string) {
	if i, ok := l.find(kind, key); ok {
		l.entries = slices.Delete(l.entries, i, i+1)
	}
}

var errIndex = errors.New("index page is malformed")

func (l *leaf) marshal() []byte {
	n := binary.MaxVarintLen32
	for _, e := range l.entries {
		n += 1 + 2*binary.MaxVarintLen32 + len(e.key) + len(e.val)
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, uint64(len(l.entries)))
	for _, e := range l.entries {
		b = append(b, e.kind)
		b = binary.AppendUvarint(b, uint64(len(e.key)))
		b = append(b, e.key...)
		b = binary.AppendUvarint(b, uint64(len(e.val)))
		b = append(b, e.val...)
	}
	return b
}

func unmarshalLeaf(b []byte) (*leaf, error) {
	s := string(b)
	l := &leaf{}
	err := walkLeaf(b, func(count int) { l.entries = make([]entry, 0, count) }, func(kind byte, key, val span) {
		l.entries = append(l.entries, entry{kind, s[key.from:key.to], s[val.from:val.to]})
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// span is where a key or a value lies in a marshalled leaf.
type span struct{ from, to int }

// walkLeaf checks a marshalled leaf and calls fn with each entry in order,
// after calling start with their number; it reads the leaf in place, so a
// caller that needs only some entries copies only those.
func walkLeaf(b []byte, start func(count int), fn func(kind byte, key, val span)) error {
	pos := 0
	next := func() (span, bool) {
		n, w := binary.Uvarint(b[pos:])
		if w <= 0 || n > uint64(len(b)-pos-w) {
			return span{}, false
		}
		pos += w
		sp := span{pos, pos + int(n)}
		pos += int(n)
		return sp, true
	}
	count, w := binary.Uvarint(b)
	if w <= 0 || count > uint64(len(b)) {
		return errIndex
	}
	pos = w
	start(int(count))
	var prevKind byte
	var prevKey span
	for i := range count {
		if pos >= len(b) {
			return errIndex
		}
		kind := b[pos]
		pos++
		key, ok := next()
		if !ok {
			return errIndex
		}
		val, ok := next()
		if !ok {
			return errIndex
		}
		if i > 0 && (prevKind > kind || prevKind == kind && bytes.Compare(b[prevKey.from:prevKey.to], b[key.from:key.to]) >= 0) {
			return errIndex
		}
		prevKind, prevKey = kind, key
		fn(kind, key, val)
	}
	if pos != len(b) {
		return errIndex
	}
	return nil
}

// ids are the record ids a lookup hint lists, 8 bytes each, sorted.
func addID(ids, id string) string {
	for i := 0; i+idLen <= len(ids); i += idLen {
		switch c := strings.Compare(ids[i:i+idLen], id); {
		case c == 0:
			return ids
		case c > 0:
			return ids[:i] + id + ids[i:]
		}
	}
	return ids + id
}

func removeID(ids, id string) string {
	for i := 0; i+idLen <= len(ids); i += idLen {
		if ids[i:i+idLen] == id {
			return ids[:i] + ids[i+idLen:]
		}
	}
	return ids
}

func splitIDs(ids string) []string {
	out := make([]string, 0, len(ids)/idLen)
	for i := 0; i+idLen <= len(ids); i += idLen {
		out = append(out, ids[i:i+idLen])
	}
	return out
}

// mid is one middle page: the tags of its leaves.
type mid struct{ tags [leavesPerMid]tag }

func (m *mid) marshal() []byte {
	b := make([]byte, 0, leavesPerMid*tagLen)
	for _, t := range m.tags {
		b = append(b, t[:]...)
	}
	return b
}

func (m *mid) empty() bool {
	for _, t := range m.tags {
		if !t.zero() {
			return false
		}
	}
	return true
}

func unmarshalMid(b []byte) (*mid, error) {
	if len(b) != leavesPerMid*tagLen {
		return nil, errIndex
	}
	m := &mid{}
	for i := range m.tags {
		copy(m.tags[i][:], b[i*tagLen:])
	}
	return m, nil
}

// root is the top of the tree. Its generation grows by one with every
// commit; binding is a hash of the sealed identity, the wrapped data key,
// the vault id and the public keys, so none of them can be exchanged for
// another version's. logCount and logHead are the number of audit log
// entries and the chain hash of the last one (see log.go).
type root struct {
	version    byte // as read; finish writes rootVersion
	generation uint64
	records    uint64
	binding    [sha256.Size]byte
	mids       [numMids]tag
	logCount   uint64
	logHead    [sha256.Size]byte
}

// Root versions: 2 has no audit log (read as an empty one), 3 has one, 4
// keeps the middle pages after the leaves (see midKey), 5 keeps the audit
// log's entries in the index bucket, right before the middle pages (see
// logStore).
const (
	rootVersion2 = 2
	rootVersion3 = 3
	rootVersion4 = 4
	rootVersion  = 5
	rootLen2     = 1 + 16 + sha256.Size + numMids*tagLen
	rootLen      = rootLen2 + 8 + sha256.Size
)

func (r *root) marshal() []byte {
	b := make([]byte, 0, rootLen)
	b = append(b, rootVersion)
	b = binary.BigEndian.AppendUint64(b, r.generation)
	b = binary.BigEndian.AppendUint64(b, r.records)
	b = append(b, r.binding[:]...)
	for _, t := range r.mids {
		b = append(b, t[:]...)
	}
	b = binary.BigEndian.AppendUint64(b, r.logCount)
	return append(b, r.logHead[:]...)
}

// errNewerRoot reports a root of a version after rootVersion: sealed, so
// written by a newer mysafe.
var errNewerRoot = errors.New("newer root")

func unmarshalRoot(b []byte) (*root, error) {
	if len(b) > 0 && b[0] > rootVersion {
		return nil, errNewerRoot
	}
	if !(len(b) == rootLen2 && b[0] == rootVersion2) && !(len(b) == rootLen && b[0] >= rootVersion3 && b[0] <= rootVersion) {
		return nil, errIndex
	}
	r := &root{version: b[0], generation: binary.BigEndian.Uint64(b[1:]), records: binary.BigEndian.Uint64(b[9:])}
	copy(r.binding[:], b[17:])
	p := 17 + sha256.Size
	for i := range r.mids {
		copy(r.mids[i][:], b[p+i*tagLen:])
	}
	if b[0] >= rootVersion3 {
		r.logCount = binary.BigEndian.Uint64(b[rootLen2:])
		copy(r.logHead[:], b[rootLen2+8:])
	}
	return r, nil
}

// bindingOf hashes the values of the meta bucket that the root binds.
func bindingOf(vaultID, identity, dataKey, publicKeys []byte) (h [sha256.Size]byte) {
	d := sha256.New()
	d.Write([]byte("mysafe v2 binding\x00"))
	for _, v := range [][]byte{vaultID, identity, dataKey, publicKeys} {
		d.Write(binary.AppendUvarint(nil, uint64(len(v))))
		d.Write(v)
	}
	copy(h[:], d.Sum(nil))
	return h
}

func leafKey(n int) []byte { return []byte{byte(n >> 8), byte(n)} }

// midKey is the key of middle page n under a root of the given version:
// one byte, midKeyBase + n, which sorts after every leaf (two bytes, the
// first below 0x10) and its spacers. The 64 middle pages lie together at
// the end of the index, under one or two of bbolt's branch pages, so the
// two middle pages an add changes add one branch page to the commit, not
// two. Before root version 4 the key was n: the first sixteen middle
// pages lay among the leaves.
func midKey(n int, version byte) []byte {
	if version < rootVersion4 {
		return []byte{byte(n)}
	}
	return []byte{midKeyBase + byte(n)}
}

const midKeyBase = 0x40

// midOf returns the middle page a key of the index names under a root of
// the given version.
func midOf(k []byte, version byte) (int, bool) {
	if len(k) != 1 {
		return 0, false
	}
	n := int(k[0])
	if version >= rootVersion4 {
		n -= midKeyBase
	}
	return n, n >= 0 && n < numMids
}

// Each index leaf is followed in the index bucket by spacersPerLeaf empty
// values, its spacers (keys: the leaf's key and 1, 2, 3). They carry
// nothing; they keep one leaf to a bbolt page. bbolt never splits a page
// of four values or fewer, so two leaves of about 2 KiB (a vault of
// 100,000 records) that shared a page needed an overflow page, and a
// change to either rewrote both pages. With three spacers after every
// leaf, four consecutive values hold at most one leaf, and any page with
// two leaves has enough values for bbolt to split it. A leaf written
// before spacers existed gets them the next time it is written.
const spacersPerLeaf = 3

// indexFill is how full bbolt fills the index's pages when it splits one
// (fullIndexFill when a transaction writes most leaves or only appends to
// the audit log): above a half, so that a leaf of up to 3 KiB and its
// spacers stay on one page, and a page split leaves no page holding
// spacers alone.
const indexFill = 0.75

// fullIndexFill fills the index's pages fuller where little will grow in
// them again, but not full: bbolt splits branch pages at the same fill as
// leaves, and a split of the branch page above the log's last page must
// leave enough to its right (15%, about 24 pages) to keep the 16 pages of
// middle pages and the log's last page under one branch page, which every
// logged change then writes once. Filled to the brim, the split left the
// log's end under a branch page of its own for good, one more page in
// every change.
const fullIndexFill = 0.85

func spacerKey(n, i int) []byte { return []byte{byte(n >> 8), byte(n), byte(i)} }

// isSpacer reports whether k, v (as a bbolt cursor gives them) is a spacer
// of leaf n. A nil v is a nested bucket, which could hide anything.
func isSpacer(k, v []byte) (n int, ok bool) {
	if len(k) != 3 || k[2] < 1 || k[2] > spacersPerLeaf || v == nil || len(v) != 0 {
		return 0, false
	}
	n = int(k[0])<<8 | int(k[1])
	return n, n < numLeaves
}

// putLeaf stores leaf n's sealed value and its spacers (those it lacks:
// putting one that exists could change a page that nothing else changes).
func putLeaf(index *bolt.Bucket, n int, sealed []byte) error {
	if err := index.Put(leafKey(n), sealed); err != nil {
		return err
	}
	c := index.Cursor()
	for i := 1; i <= spacersPerLeaf; i++ {
		k := spacerKey(n, i)
		if there, err := spacerThere(c, k); err != nil || there {
			if err != nil {
				return err
			}
			continue
		}
		if err := index.Put(k, []byte{}); err != nil {
			return err
		}
	}
	return nil
}

// spacerThere reports whether spacer k is in the index, and refuses as
// tampering a value or a bucket under its key: a write that keeps or
// removes a leaf does not carry along, or silently drop, what someone
// hid next to it.
func spacerThere(c *bolt.Cursor, k []byte) (bool, error) {
	got, v := c.Seek(k)
	switch {
	case !bytes.Equal(got, k):
		return false, nil
	case v == nil:
		return false, tampered("index page %x holds a bucket where mysafe keeps a value", k)
	case len(v) != 0:
		return false, tampered("index page %x holds data where mysafe keeps nothing", k)
	}
	return true, nil
}

// deleteLeaf removes leaf n and its spacers.
func deleteLeaf(index *bolt.Bucket, n int) error {
	if err := index.Delete(leafKey(n)); err != nil {
		return err
	}
	c := index.Cursor()
	for i := 1; i <= spacersPerLeaf; i++ {
		if _, err := spacerThere(c, spacerKey(n, i)); err != nil {
			return err
		}
		if err := index.Delete(spacerKey(n, i)); err != nil {
			return err
		}
	}
	return nil
}
