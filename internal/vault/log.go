package vault

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
)

// The audit log. Entries are appended, never changed:
//
//	index  logPrefix, entry number (8 bytes BE, from 1) -> sealed (chain hash of the entry before, entry)
//
// (see logStore for where a vault before root version 5 keeps them).
// Each entry is sealed with the log's own key, its associated data naming
// its number, so an entry moved to another number does not open. Entry n's
// chain hash is HMAC-SHA-256, under a key derived from the vault's keys, of
// the chain hash of entry n-1 (zeros for the first), n and the entry; the
// root holds the number of entries and the last chain hash. Since every
// entry carries its predecessor's chain hash, each one is checked alone:
// open it, hash it, compare with what its successor carries. So:
//
//   - a commit that changes records, keys or anything else checks the whole
//     chain first (verifyLog), and is refused if any entry was removed,
//     changed, reordered, added or cut from the end;
//   - a commit that only records uses of API secrets (and their Last use)
//     checks the log's end and one block of sweepBlock older entries,
//     chosen from the new entry's number, so that successive uses sweep the
//     whole log while each costs the same whatever the log's length;
//   - `check` and `mysafe log` walk the whole chain, entries decoded;
//   - appending reads and writes the log's last page, whatever its length.

// logKey is the key of entry seq (its place, for sealing, and its key in
// the log bucket of a vault before root version 5).
func logKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// logPrefix starts the key of every audit log entry in the index bucket:
// after every leaf (whose keys start below 0x10) and right before the
// middle pages (midKeyBase), so that the log's last page, which every
// logged commit writes, lies next to the middle pages, which every change
// writes, under the same branch page of the index, and shares the index's
// root page. A log in a bucket of its own cost an add with its entry its
// own root and branch pages.
const logPrefix = 0x30

// logStore is where the audit log's entries are kept: in the index bucket
// under logPrefix and the entry number, or, for a vault whose root
// predates version 5, in the log bucket under the entry number alone. Its
// methods see entry numbers (8 bytes) as keys either way.
type logStore struct {
	b      *bolt.Bucket // nil: a vault without a log bucket
	prefix []byte
}

func (tx *Tx) logStore() logStore {
	if tx.root.version >= rootVersion {
		return logStore{tx.btx.Bucket(bucketIndex), []byte{logPrefix}}
	}
	return logStore{b: tx.btx.Bucket(bucketLog)}
}

func (s logStore) key(k []byte) []byte { return append(append([]byte{}, s.prefix...), k...) }

func (s logStore) get(k []byte) []byte {
	if s.b == nil {
		return nil
	}
	return s.b.Get(s.key(k))
}

func (s logStore) cursor() logCursor { return logCursor{s.b.Cursor(), s.prefix} }

// logCursor walks a logStore in key order; it sees nothing outside the
// store's prefix.
type logCursor struct {
	c      *bolt.Cursor
	prefix []byte
}

func (c logCursor) in(k, v []byte) ([]byte, []byte) {
	if k == nil || !bytes.HasPrefix(k, c.prefix) {
		return nil, nil
	}
	return k[len(c.prefix):], v
}

func (c logCursor) first() ([]byte, []byte) {
	if len(c.prefix) == 0 {
		return c.c.First()
	}
	return c.in(c.c.Seek(c.prefix))
}

func (c logCursor) seek(k []byte) ([]byte, []byte) {
	return c.in(c.c.Seek(append(append([]byte{}, c.prefix...), k...)))
}

func (c logCursor) next() ([]byte, []byte) { return c.in(c.c.Next()) }

func (c logCursor) last() ([]byte, []byte) {
	if len(c.prefix) == 0 {
		return c.c.Last()
	}
	if k, _ := c.c.Seek([]byte{c.prefix[0] + 1}); k == nil {
		return c.in(c.c.Last())
	}
	return c.in(c.c.Prev())
}

// moveLog moves the entries of the log bucket, if there is one, into the
// index bucket (see logPrefix) and drops the bucket; the pages it leaves
// are erased after the commit like any other.
func (tx *Tx) moveLog(index *bolt.Bucket) error {
	old := tx.btx.Bucket(bucketLog)
	if old == nil {
		return nil
	}
	dst := logStore{index, []byte{logPrefix}}
	if err := old.ForEach(func(k, v []byte) error { return index.Put(dst.key(k), bytes.Clone(v)) }); err != nil {
		return err
	}
	return tx.btx.DeleteBucket(bucketLog)
}

// chainNext is the chain hash of entry seq, whose encoding is body and whose
// predecessor's chain hash is prev.
func chainNext(k []byte, prev [sha256.Size]byte, seq uint64, body []byte) [sha256.Size]byte {
	return newChainer(k).next(prev, seq, body)
}

// chainer computes chain hashes with one reusable HMAC.
type chainer struct{ m hash.Hash }

func newChainer(k []byte) chainer { return chainer{hmac.New(sha256.New, k)} }

func (c chainer) next(prev [sha256.Size]byte, seq uint64, body []byte) (h [sha256.Size]byte) {
	c.m.Reset()
	c.m.Write([]byte("mysafe log\x00"))
	c.m.Write(prev[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], seq)
	c.m.Write(n[:])
	c.m.Write(body)
	c.m.Sum(h[:0])
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
	s := tx.logStore()
	var last []byte
	if s.b != nil {
		last, _ = s.cursor().last()
	}
	switch {
	case n == 0 && last == nil:
		return nil
	case last == nil || len(last) != 8 || binary.BigEndian.Uint64(last) < n:
		return tampered("the audit log lacks entries at its end: the vault counts %d entries", n)
	case binary.BigEndian.Uint64(last) > n:
		return tampered("the audit log has entries after its last one (%d) that mysafe did not write", n)
	}
	prev, body, ok := tx.openLogEntry(n, s.get(last))
	if !ok || chainNext(tx.k.chain, prev, n, body) != tx.root.logHead {
		return tampered("the audit log's last entry (%d) was changed or replaced", n)
	}
	return nil
}

// onlyUses reports whether the transaction records uses and nothing else:
// it logs at least one entry, every entry's action only reads the vault
// (audit.Action.OnlyReads), and nothing was written but those entries and
// the Last use of the records used.
func (tx *Tx) onlyUses() bool {
	if tx.changed || len(tx.logged) == 0 {
		return false
	}
	for _, e := range tx.logged {
		if !e.Action.OnlyReads() {
			return false
		}
	}
	return true
}

// sweepBlock is the number of older entries a commit that only records
// uses checks besides the log's end.
const sweepBlock = 1024

// sweepRange returns the block of entries a commit appending entry next
// checks, for a log of count entries: block next mod (the number of
// blocks). Blocks [j*sweepBlock, (j+1)*sweepBlock] overlap by one entry,
// so that the blocks together check every link of the chain.
func sweepRange(count, next uint64) (lo, hi uint64) {
	if count == 0 {
		return 1, 0
	}
	blocks := (count-1)/sweepBlock + 1
	j := next % blocks
	return max(1, j*sweepBlock), min(count, (j+1)*sweepBlock)
}

// CheckLog checks the audit log as the commit will, for the entries
// queued so far (an error wrapping ErrTampered when it fails), so that a
// command can refuse before it hands a value over. The commit does not
// check again unless the transaction changes more afterwards.
func (tx *Tx) CheckLog() error {
	if err := tx.loadRoot(); err != nil {
		return err
	}
	if err := tx.checkLog(); err != nil {
		return err
	}
	tx.logChecked = logCheck{done: true, full: !tx.onlyUses(), changed: tx.changed, entries: len(tx.logged)}
	return nil
}

// logCheck notes a check of the log made before the commit (CheckLog).
type logCheck struct {
	done, full, changed bool
	entries             int // entries queued then
}

// checkLog checks the log before a commit appends to it: the whole chain,
// or, for a commit that only records uses, the end and one block.
func (tx *Tx) checkLog() error {
	c := tx.logChecked
	if c.done && (c.full || c.changed == tx.changed && c.entries == len(tx.logged)) {
		return nil
	}
	if !tx.onlyUses() {
		return tx.verifyLog(1, tx.root.logCount)
	}
	return tx.checkLogForUse()
}

// checkLogForUse checks the log's end and the block of older entries the
// next entry sweeps.
func (tx *Tx) checkLogForUse() error {
	if err := tx.checkLogEnd(); err != nil {
		return err
	}
	lo, hi := sweepRange(tx.root.logCount, tx.root.logCount+1)
	return tx.verifyLog(lo, hi)
}

// CheckLogForUse checks the audit log, in any transaction, as the commit
// that records a use will (the log's end, and the block of older entries
// the next entry sweeps): an error wrapping ErrTampered when it fails. A
// command that records its use after handing a value over (to a template,
// a file, a token request) calls it first, so that a vault whose log was
// changed hands nothing over; and so does one that cannot record the use
// at all (a vault this user may only read).
func (tx *Tx) CheckLogForUse() error {
	if err := tx.loadRoot(); err != nil {
		return err
	}
	return tx.checkLogForUse()
}

// appendLog checks the log and appends the queued entries.
func (tx *Tx) appendLog() error {
	if err := tx.checkLog(); err != nil {
		return err
	}
	if len(tx.logged) == 0 {
		return nil
	}
	s := tx.logStore() // the index bucket: finish upgraded the layout
	for _, e := range tx.logged {
		body, err := e.MarshalBinary()
		if err != nil {
			return err
		}
		seq := tx.root.logCount + 1
		pt := make([]byte, 0, sha256.Size+len(body))
		pt = append(append(pt, tx.root.logHead[:]...), body...)
		if err := s.b.Put(s.key(logKey(seq)), tx.k.log.seal(bucketLog, logKey(seq), pad(pt))); err != nil {
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
	if s := tx.logStore(); s.b != nil {
		c := s.cursor()
		for k, v := c.first(); k != nil; k, v = c.next() {
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
