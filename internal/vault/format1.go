package vault

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/mysafe/mysafe/internal/secret"
)

// Format 1 is the format mysafe wrote before format 2. It is only read,
// once, to upgrade a vault (see migrate.go).
//
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

func nonceTag(sealed []byte) string {
	return string(sealed[:min(len(sealed), nonceTagLen)])
}

var keyCatalog = []byte("catalog")

// format1Keys are format 1's one record key and its associated data.
type format1Keys struct {
	vaultID []byte
	aead    interface {
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
		Overhead() int
	}
}

func deriveFormat1Keys(vaultID, dataKey []byte, identity string) (*format1Keys, error) {
	prk, err := extract(vaultID, dataKey, identity)
	if err != nil {
		return nil, err
	}
	rk, err := hkdf.Expand(sha256.New, prk, "mysafe v1 record key", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(rk)
	if err != nil {
		return nil, err
	}
	return &format1Keys{vaultID: vaultID, aead: aead}, nil
}

func (k *format1Keys) open(bucket, key, sealed []byte) ([]byte, error) {
	if len(sealed) < chacha20poly1305.NonceSizeX+k.aead.Overhead() {
		return nil, errOpen
	}
	ad := append([]byte("mysafe v1\x00"), k.vaultID...)
	ad = append(ad, bucket...)
	ad = append(ad, 0)
	ad = append(ad, key...)
	pt, err := k.aead.Open(nil, sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:], ad)
	if err != nil {
		return nil, errOpen
	}
	return pt, nil
}

// format1Content is everything a format-1 vault holds besides its meta keys.
type format1Content struct {
	records []*secret.Record
	blobs   map[string][]byte
}

// readFormat1 opens the catalog, checks that the records and data buckets
// hold exactly the values it lists, and decrypts them all: the checks format
// 1 made on every command are made once more before the upgrade.
func readFormat1(btx *bolt.Tx, k *format1Keys) (*format1Content, error) {
	meta := btx.Bucket(bucketMeta)
	pt, err := k.open(bucketMeta, keyCatalog, meta.Get(keyCatalog))
	if err != nil {
		return nil, tampered("the format-1 catalog does not decrypt")
	}
	cat, err := unmarshalCatalog(pt)
	if err != nil {
		return nil, tampered("%v", err)
	}
	if cat.pub != string(meta.Get(keyPublicKeys)) {
		return nil, tampered("the public keys in the file were replaced")
	}
	out := &format1Content{blobs: map[string][]byte{}}
	for _, b := range []struct {
		name    []byte
		kind    string
		entries []catEntry
	}{{bucketRecords, "record", cat.records}, {bucketData, "data blob", cat.blobs}} {
		bucket := btx.Bucket(b.name)
		if bucket == nil {
			return nil, tampered("the %s bucket is missing", b.kind)
		}
		i := 0
		err := bucket.ForEach(func(key, val []byte) error {
			if i >= len(b.entries) || b.entries[i].key != string(key) {
				return tampered("%s %x was added or moved behind mysafe's back", b.kind, key)
			}
			e := b.entries[i]
			if e.nonce != nonceTag(val) {
				return tampered("%s %x was replaced, by an older version or otherwise", b.kind, key)
			}
			i++
			pt, err := k.open(b.name, key, val)
			if err != nil {
				return tampered("%s %x does not decrypt in its place", b.kind, key)
			}
			if b.kind != "record" {
				out.blobs[string(key)] = pt
				return nil
			}
			r := &secret.Record{}
			if err := r.UnmarshalBinary(pt); err != nil {
				return tampered("record %x: %v", key, err)
			}
			if r.ID != hex.EncodeToString(key) || r.Name != e.name || r.Identifier != e.ident {
				return tampered("record %x does not match the catalog", key)
			}
			out.records = append(out.records, r)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if i != len(b.entries) {
			return nil, tampered("%ss were removed behind mysafe's back", b.kind)
		}
	}
	return out, nil
}
