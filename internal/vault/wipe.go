package vault

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
)

// bbolt never overwrites a page it frees: without help, an old version of
// every value (a deleted record, a replaced client secret, the identity
// sealed under an old passphrase, a record before its Last use changed)
// would stay in the file until the page happens to be reused. wipe reads
// the free-page list of the newest commit straight from the file and
// erases every free page that held values (erasePage: a hole punched in
// the file where the file system supports it, zeros written over it
// otherwise), then syncs. It runs after every commit but those that only
// record uses (see Update), while this process still holds the exclusive
// lock, so no reader can be using those pages. It wipes every free page,
// not only those of the last commit: a process killed between its commit
// and its wipe, or a use, leaves old pages that the next change to the
// vault erases.
//
// Pages freed by the last commit are still those of the previous commit:
// after the wipe, bbolt can no longer fall back to it. A damaged newest
// meta page therefore leaves a database that fails to open (ErrDamaged)
// instead of silently showing an older vault.
//
// Branch pages hold only keys (record ids, index page numbers, blob
// names), and old free-page lists only page numbers, never values; they
// are left alone, which saves writes on every add.

// Offsets in bbolt's on-disk format (go.etcd.io/bbolt/internal/common).
const (
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	metaChecksumAt = 56 // meta: magic, version, page size, flags, root, sequence, freelist, pgid, txid, then checksum
	boltMagic      = 0xED0CDAED
	branchPageFlag = 0x01
	freelistFlag   = 0x10
)

type boltMeta struct {
	pageSize uint32
	freelist uint64
	pgid     uint64
	txid     uint64
}

func parseMeta(p []byte) (boltMeta, bool) {
	if len(p) < pageHeaderSize+metaChecksumAt+8 {
		return boltMeta{}, false
	}
	m := p[pageHeaderSize:]
	h := fnv.New64a()
	h.Write(m[:metaChecksumAt])
	if binary.LittleEndian.Uint32(m) != boltMagic || binary.LittleEndian.Uint64(m[metaChecksumAt:]) != h.Sum64() {
		return boltMeta{}, false
	}
	return boltMeta{
		pageSize: binary.LittleEndian.Uint32(m[8:]),
		freelist: binary.LittleEndian.Uint64(m[32:]),
		pgid:     binary.LittleEndian.Uint64(m[40:]),
		txid:     binary.LittleEndian.Uint64(m[48:]),
	}, true
}

// wipe zeroes the free pages of the vault file; see above.
func (v *Vault) wipe() error {
	if v.readOnly {
		return nil
	}
	return v.guard(func() error { return wipeFile(v.path) })
}

// wipeFile is wipe on a file.
func wipeFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("erasing freed pages: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("erasing freed pages: %w", err)
	}
	size := fi.Size()
	head := make([]byte, 4096)
	if _, err := f.ReadAt(head, 0); err != nil {
		return fmt.Errorf("%s: %w (%v)", path, ErrDamaged, err)
	}
	m0, ok0 := parseMeta(head)
	ps := int64(m0.pageSize)
	if !ok0 || ps < 1024 || ps > 1<<20 || ps&(ps-1) != 0 {
		return fmt.Errorf("%s: %w (first meta page)", path, ErrDamaged)
	}
	page := make([]byte, ps)
	if _, err := f.ReadAt(page, ps); err != nil {
		return fmt.Errorf("%s: %w (%v)", path, ErrDamaged, err)
	}
	m := m0
	if m1, ok := parseMeta(page); ok && m1.txid > m0.txid {
		m = m1
	}
	if m.freelist == ^uint64(0) || m.freelist < 2 || m.freelist >= m.pgid || int64(m.freelist)*ps >= size {
		return fmt.Errorf("%s: %w (no free-page list)", path, ErrDamaged)
	}
	hdr := make([]byte, pageHeaderSize+8)
	if _, err := f.ReadAt(hdr, int64(m.freelist)*ps); err != nil {
		return fmt.Errorf("%s: %w (%v)", path, ErrDamaged, err)
	}
	if binary.LittleEndian.Uint16(hdr[8:])&freelistFlag == 0 {
		return fmt.Errorf("%s: %w (free-page list)", path, ErrDamaged)
	}
	count := int64(binary.LittleEndian.Uint16(hdr[10:]))
	skip := int64(0)
	if count == 0xFFFF {
		count, skip = int64(binary.LittleEndian.Uint64(hdr[pageHeaderSize:])), 1
	}
	if count < 0 || (count+skip)*8 > size {
		return fmt.Errorf("%s: %w (free-page list)", path, ErrDamaged)
	}
	list := make([]byte, (count+skip)*8)
	if _, err := f.ReadAt(list, int64(m.freelist)*ps+pageHeaderSize); err != nil {
		return fmt.Errorf("%s: %w (%v)", path, ErrDamaged, err)
	}
	zero := make([]byte, ps)
	wrote := false
	for i := skip; i < count+skip; i++ {
		id := binary.LittleEndian.Uint64(list[i*8:])
		if id < 2 || id >= m.pgid || int64(id)*ps+ps > size {
			return fmt.Errorf("%s: %w (free page %d out of range)", path, ErrDamaged, id)
		}
		off := int64(id) * ps
		if _, err := f.ReadAt(page, off); err != nil {
			return fmt.Errorf("erasing freed pages: %w", err)
		}
		if isZero(page) {
			continue
		}
		if flags := binary.LittleEndian.Uint16(page[8:]); binary.LittleEndian.Uint64(page) == id && (flags == branchPageFlag || flags == freelistFlag) {
			continue
		}
		if err := erasePage(f, off, zero); err != nil {
			return fmt.Errorf("erasing freed pages: %w", err)
		}
		wrote = true
	}
	if wrote {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("erasing freed pages: %w", err)
		}
	}
	return nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
