package vault

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
)

// The catalog is the vault's table of contents, sealed in the meta bucket.
// For every sealed value in the records and data buckets it holds the key and
// the first bytes of the value's random nonce; for records also the name and
// identifier, so a reference resolves without decrypting every record.
//
// It is what makes the file tamper-evident as a whole: every write gives the
// written value a fresh nonce and reseals the catalog, and every transaction
// first checks that the values in the file are exactly those the catalog
// lists, with those nonces. An older version of a record put back in place,
// a record deleted, added or moved, all fail that check, and the catalog
// itself cannot be forged or moved without the vault's key. The check reads
// no more than the first bytes of each value, so it costs little even for
// `show` on a large vault.
type catalog struct {
	records []catEntry // sorted by key, as bbolt iterates
	blobs   []catEntry // sorted by key
	pub     string     // the clear public keys value, as it must be
}

type catEntry struct {
	key   string // bbolt key (8 bytes for records, the name for blobs)
	nonce string // first nonceTagLen bytes of the value's nonce
	name  string // records only
	ident string // records only
}

// nonceTagLen bytes of a 24-byte random nonce identify a value's version.
const nonceTagLen = 16

const catalogVersion = 1

var errCatalog = errors.New("catalog is malformed")

func (c *catalog) marshal() []byte {
	n := 1
	for _, e := range c.records {
		n += 4*binary.MaxVarintLen32 + len(e.key) + len(e.nonce) + len(e.name) + len(e.ident)
	}
	for _, e := range c.blobs {
		n += 2*binary.MaxVarintLen32 + len(e.key) + len(e.nonce)
	}
	b := make([]byte, 0, n+3*binary.MaxVarintLen32+len(c.pub))
	b = append(b, catalogVersion)
	put := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(c.records)))
	for _, e := range c.records {
		put(e.key)
		put(e.nonce)
		put(e.name)
		put(e.ident)
	}
	b = binary.AppendUvarint(b, uint64(len(c.blobs)))
	for _, e := range c.blobs {
		put(e.key)
		put(e.nonce)
	}
	put(c.pub)
	return b
}

func unmarshalCatalog(b []byte) (*catalog, error) {
	if len(b) == 0 || b[0] != catalogVersion {
		return nil, errCatalog
	}
	// Convert once; every field is a substring of s, found by walking b.
	s := string(b)
	pos := 1
	count := func() (int, bool) {
		n, w := binary.Uvarint(b[pos:])
		if w <= 0 || n > uint64(len(b)-pos) {
			return 0, false
		}
		pos += w
		return int(n), true
	}
	next := func() (string, bool) {
		n, ok := count()
		if !ok || n > len(b)-pos {
			return "", false
		}
		v := s[pos : pos+n]
		pos += n
		return v, true
	}
	c := &catalog{}
	n, ok := count()
	if !ok {
		return nil, errCatalog
	}
	c.records = make([]catEntry, n)
	for i := range c.records {
		e := &c.records[i]
		for _, dst := range []*string{&e.key, &e.nonce, &e.name, &e.ident} {
			if *dst, ok = next(); !ok {
				return nil, errCatalog
			}
		}
	}
	if n, ok = count(); !ok {
		return nil, errCatalog
	}
	c.blobs = make([]catEntry, n)
	for i := range c.blobs {
		e := &c.blobs[i]
		if e.key, ok = next(); !ok {
			return nil, errCatalog
		}
		if e.nonce, ok = next(); !ok {
			return nil, errCatalog
		}
	}
	if c.pub, ok = next(); !ok || pos != len(b) {
		return nil, errCatalog
	}
	return c, nil
}

// find returns the index of key in entries, or where it would go.
func find(entries []catEntry, key string) (int, bool) {
	return slices.BinarySearchFunc(entries, key, func(e catEntry, k string) int { return strings.Compare(e.key, k) })
}

// set inserts or replaces an entry, keeping the order.
func set(entries []catEntry, e catEntry) []catEntry {
	i, ok := find(entries, e.key)
	if ok {
		entries[i] = e
		return entries
	}
	return slices.Insert(entries, i, e)
}

// remove deletes the entry for key, if any.
func remove(entries []catEntry, key string) []catEntry {
	if i, ok := find(entries, key); ok {
		return slices.Delete(entries, i, i+1)
	}
	return entries
}

func nonceTag(sealed []byte) string {
	return string(sealed[:min(len(sealed), nonceTagLen)])
}
