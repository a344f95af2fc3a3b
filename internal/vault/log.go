package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/mysafe/mysafe/internal/audit"
)

// The audit log. Entries are appended, never changed:
//
//	log  entry number (8 bytes BE, from 1) -> sealed (chain hash of the entry before, entry)
//
// Each entry is sealed with the log's own key, its associated data naming
// its number, so an entry moved to another number does not open. Entry n's
// chain hash is HMAC-SHA-256, under a key derived from the vault's keys, of
// the chain hash of entry n-1 (zeros for the first), n and the entry; the
// root holds the number of entries and the last chain hash. So:
//
//   - every commit checks the log's end: the last entry is the one the root
//     names and nothing follows it (truncating, changing or adding at the
//     end is caught by the next command that writes);
//   - `check` and `mysafe log` walk the whole chain (removing, changing or
//     reordering any entry is caught there);
//   - appending reads and writes the log's last page, whatever its length.

// logKey is the key of entry seq.
func logKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// chainNext is the chain hash of entry seq, whose encoding is body and whose
// predecessor's chain hash is prev.
func chainNext(k []byte, prev [sha256.Size]byte, seq uint64, body []byte) (h [sha256.Size]byte) {
	m := hmac.New(sha256.New, k)
	m.Write([]byte("mysafe log\x00"))
	m.Write(prev[:])
	m.Write(logKey(seq))
	m.Write(body)
	copy(h[:], m.Sum(nil))
	return h
}

// Log queues an entry for the audit log; it is appended when the
// transaction commits, and not at all if it fails. A zero Time is the
// vault's clock, a zero Actor the vault's actor (Options.Actor). An entry
// for a use of a record (audit.Action.IsUse) also makes its time the
// record's last use, in the same commit.
func (tx *Tx) Log(e audit.Entry) error {
	if err := tx.loadRoot(); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = tx.Now()
	}
	if e.Actor == (audit.Actor{}) {
		e.Actor = tx.v.actor
	}
	if e.Action.IsUse() && e.RecordID != "" {
		key, _, err := tx.recordKey(e.RecordID)
		if err != nil {
			return err
		}
		r, err := tx.record(key)
		if err != nil {
			return err
		}
		r.LastUsedAt = e.Time
		if err := tx.Put(r); err != nil {
			return err
		}
	}
	tx.logged = append(tx.logged, e)
	tx.dirty = true
	return nil
}

// openLogEntry opens entry seq's sealed value into its predecessor's chain
// hash and its encoding.
func (tx *Tx) openLogEntry(seq uint64, val []byte) (prev [sha256.Size]byte, body []byte, ok bool) {
	pt, err := tx.k.log.open(bucketLog, logKey(seq), val)
	if err == nil {
		pt, err = unpad(pt)
	}
	if err != nil || len(pt) < sha256.Size {
		return prev, nil, false
	}
	copy(prev[:], pt)
	return prev, pt[sha256.Size:], true
}

// checkLogEnd checks the end of the log against the root: the last entry is
// there, is the one the root names, and nothing follows it.
func (tx *Tx) checkLogEnd() error {
	n := tx.root.logCount
	b := tx.btx.Bucket(bucketLog)
	var last []byte
	if b != nil {
		last, _ = b.Cursor().Last()
	}
	switch {
	case n == 0 && last == nil:
		return nil
	case last == nil || len(last) != 8 || binary.BigEndian.Uint64(last) < n:
		return tampered("the audit log lacks entries at its end: the vault counts %d entries", n)
	case binary.BigEndian.Uint64(last) > n:
		return tampered("the audit log has entries after its last one (%d) that mysafe did not write", n)
	}
	prev, body, ok := tx.openLogEntry(n, b.Get(last))
	if !ok || chainNext(tx.k.chain, prev, n, body) != tx.root.logHead {
		return tampered("the audit log's last entry (%d) was changed or replaced", n)
	}
	return nil
}

// appendLog checks the log's end and appends the queued entries.
func (tx *Tx) appendLog() error {
	if err := tx.checkLogEnd(); err != nil {
		return err
	}
	if len(tx.logged) == 0 {
		return nil
	}
	b, err := tx.btx.CreateBucketIfNotExists(bucketLog)
	if err != nil {
		return err
	}
	// Keys only ever grow: full pages are never split again.
	b.FillPercent = 1
	for _, e := range tx.logged {
		body, err := e.MarshalBinary()
		if err != nil {
			return err
		}
		seq := tx.root.logCount + 1
		pt := make([]byte, 0, sha256.Size+len(body))
		pt = append(append(pt, tx.root.logHead[:]...), body...)
		if err := b.Put(logKey(seq), tx.k.log.seal(bucketLog, logKey(seq), pad(pt))); err != nil {
			return err
		}
		tx.root.logHead = chainNext(tx.k.chain, tx.root.logHead, seq, body)
		tx.root.logCount = seq
	}
	tx.logged = nil
	return nil
}

// walkLog reads the whole log in order, checking every entry and the chain.
// Each problem goes to problem; fn gets every entry that opens. It stops
// when fn returns an error.
func (tx *Tx) walkLog(problem func(string, ...any), fn func(*audit.Entry) error) error {
	if err := tx.loadRoot(); err != nil {
		return err
	}
	var want [sha256.Size]byte // the chain hash the next entry must carry
	known := true              // want is known: no entry before was unreadable or missing
	var last uint64
	if b := tx.btx.Bucket(bucketLog); b != nil {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 || binary.BigEndian.Uint64(k) == 0 {
				problem("the audit log holds a value under %x, which is not an entry number", k)
				continue
			}
			seq := binary.BigEndian.Uint64(k)
			switch {
			case seq > tx.root.logCount:
				problem("audit log entry %d follows the log's last entry (%d): mysafe did not write it", seq, tx.root.logCount)
				continue
			case seq == last+2:
				problem("audit log entry %d was removed", last+1)
				known = false
			case seq > last+2:
				problem("audit log entries %d to %d were removed", last+1, seq-1)
				known = false
			}
			last = seq
			prev, body, ok := tx.openLogEntry(seq, v)
			if !ok {
				problem("audit log entry %d was changed, or moved from another place", seq)
				known = false
				continue
			}
			if known && prev != want {
				problem("audit log entry %d does not follow entry %d: entries were changed, removed or reordered", seq, seq-1)
			}
			want, known = chainNext(tx.k.chain, prev, seq, body), true
			e := &audit.Entry{}
			if err := e.UnmarshalBinary(body); err != nil {
				problem("audit log entry %d: %v", seq, err)
				continue
			}
			e.Seq = seq
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	switch {
	case last < tx.root.logCount:
		problem("the audit log ends at entry %d, but the vault counts %d: entries were removed from its end", last, tx.root.logCount)
	case last > 0 && known && want != tx.root.logHead:
		problem("the audit log's last entry (%d) is not the one the vault names", last)
	}
	return nil
}

// Entries calls fn with every audit log entry that matches f, oldest
// first, after checking the whole log: a change to any entry is an error
// wrapping ErrTampered, and then fn is not called at all.
func (tx *Tx) Entries(f audit.Filter, fn func(*audit.Entry) error) error {
	var first string
	var entries []*audit.Entry
	err := tx.walkLog(func(format string, a ...any) {
		if first == "" {
			first = fmt.Sprintf(format, a...)
		}
	}, func(e *audit.Entry) error {
		if f.Match(e) {
			entries = append(entries, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if first != "" {
		return tampered("%s", first)
	}
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// LogLen returns the number of entries in the audit log.
func (tx *Tx) LogLen() (uint64, error) {
	if err := tx.loadRoot(); err != nil {
		return 0, err
	}
	return tx.root.logCount, nil
}
