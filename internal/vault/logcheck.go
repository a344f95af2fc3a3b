package vault

import (
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// verifyLog checks entries lo to hi of the audit log (1 <= lo; hi at most
// the number of entries the root counts; nothing when hi < lo): each is
// there, opens in its place, and carries the chain hash of the one before
// it. It decodes nothing: an entry's encoding is hashed as it is. When hi
// is the last entry, the chain must end in the root's head and nothing may
// follow it; when lo is the first, the chain must start from zeros and
// nothing may come before it. Entries are opened on every CPU: each one
// is checked alone, and only the links between the parts are compared in
// order. Any problem is an error wrapping ErrTampered.
func (tx *Tx) verifyLog(lo, hi uint64) error {
	count := tx.root.logCount
	s := tx.logStore()
	if hi < lo || s.b == nil {
		if count > 0 {
			return tampered("the audit log ends at entry 0, but the vault counts %d: entries were removed from its end", count)
		}
		if s.b != nil && lo == 1 {
			if k, _ := s.cursor().first(); k != nil {
				return tampered("the audit log holds a value under %x that mysafe did not write", k)
			}
		}
		return nil
	}
	vals := make([][]byte, 0, hi-lo+1)
	c := s.cursor()
	var k, v []byte
	if lo == 1 {
		k, v = c.first()
	} else {
		k, v = c.seek(logKey(lo))
	}
	for want := lo; want <= hi; want++ {
		if k == nil {
			return tampered("the audit log ends at entry %d, but the vault counts %d: entries were removed from its end", want-1, count)
		}
		if len(k) != 8 {
			return tampered("the audit log holds a value under %x, which is not an entry number", k)
		}
		if got := binary.BigEndian.Uint64(k); got != want {
			return tampered("audit log entry %d was removed", want)
		}
		vals = append(vals, v)
		k, v = c.next()
	}
	if hi == count && k != nil {
		if len(k) != 8 {
			return tampered("the audit log holds a value under %x, which is not an entry number", k)
		}
		return tampered("audit log entry %d follows the log's last entry (%d): mysafe did not write it", binary.BigEndian.Uint64(k), count)
	}

	// Split the entries into one part per CPU; each part's check yields the
	// chain hash its first entry carries and the chain hash of its last.
	parts := min(runtime.GOMAXPROCS(0), len(vals)/256+1)
	type result struct {
		first, last [sha256.Size]byte
		err         error
	}
	res := make([]result, parts)
	var wg sync.WaitGroup
	for p := range parts {
		a, z := len(vals)*p/parts, len(vals)*(p+1)/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &res[p]
			r.first, r.last, r.err = tx.verifyLogPart(lo+uint64(a), vals[a:z])
		}()
	}
	wg.Wait()
	var prev [sha256.Size]byte // zeros: what the first entry carries
	for p, r := range res {
		if r.err != nil {
			return r.err
		}
		if (p > 0 || lo == 1) && r.first != prev {
			seq := lo + uint64(len(vals)*p/parts)
			return tampered("audit log entry %d does not follow entry %d: entries were changed, removed or reordered", seq, seq-1)
		}
		prev = r.last
	}
	if hi == count && prev != tx.root.logHead {
		return tampered("the audit log's last entry (%d) is not the one the vault names", count)
	}
	return nil
}

// verifyLogPart checks the consecutive entries vals, the first of which
// is entry seq, and returns the chain hash the first carries and the chain
// hash of the last.
func (tx *Tx) verifyLogPart(seq uint64, vals [][]byte) (first, last [sha256.Size]byte, err error) {
	s := &tx.k.log
	ch := newChainer(tx.k.chain)
	ad := s.ad(bucketLog, logKey(seq))
	num := ad[len(ad)-8:]
	var buf []byte
	for i, val := range vals {
		n := seq + uint64(i)
		binary.BigEndian.PutUint64(num, n)
		var pt []byte
		if len(val) >= chacha20poly1305.NonceSizeX+s.aead.Overhead() {
			nonce, ct := val[:chacha20poly1305.NonceSizeX], val[chacha20poly1305.NonceSizeX:]
			buf, err = s.aead.Open(buf[:0], nonce, ct, ad)
			if err == nil {
				pt, err = unpad(buf)
			}
		}
		if pt == nil || err != nil || len(pt) < sha256.Size {
			return first, last, tampered("audit log entry %d was changed, or moved from another place", n)
		}
		prev := [sha256.Size]byte(pt[:sha256.Size])
		switch {
		case i == 0:
			first = prev
		case prev != last:
			return first, last, tampered("audit log entry %d does not follow entry %d: entries were changed, removed or reordered", n, n-1)
		}
		last = ch.next(prev, n, pt[sha256.Size:])
	}
	return first, last, nil
}
