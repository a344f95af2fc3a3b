package vault

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

// Versions of a record. Every change to a record's content (see
// secret.Record.ChangedFields) keeps the version it replaces, sealed like a
// record, in the versions bucket:
//
//	versions  record id (8 bytes)             -> sealed history: the list of versions
//	versions  record id, version (4 bytes BE) -> sealed earlier version, client secret included
//
// The record's index entry carries the tag of its history after the tags of
// its metadata and client secret, and the history carries the tag of every
// version it keeps, so every version is checked like the record itself. A
// record that was never changed has no history: its one version is the
// record. Versions beyond the limit are deleted, and the pages they leave
// are erased like any other.

// DefaultMaxVersions is how many earlier versions of a record are kept
// when Options.MaxVersions is 0.
const DefaultMaxVersions = 10

// Version describes one version of a record, never its values.
type Version struct {
	N       int       // 1 for the record as first stored, then one more per change
	At      time.Time // when this version was made
	By      string    // the contact whose share bundle made it; empty: the vault's own user
	Note    string    // how it was made, when not by editing ("restore of version 2", "bundle")
	Changed []string  // the content fields that differ from the version before
	Current bool      // the record as it is now
}

// Change describes the changes a transaction makes to records, for their
// versions.
type Change struct {
	By   string // the contact whose share bundle brings the change; empty: the vault's own user
	Note string
}

// SetChange names who makes the changes of this transaction, and how.
func (tx *Tx) SetChange(c Change) { tx.change = c }

// versionEntry is one version in a sealed history.
type versionEntry struct {
	N       uint32    `json:"n"`
	At      time.Time `json:"at"`
	By      string    `json:"by,omitempty"`
	Note    string    `json:"note,omitempty"`
	Changed []string  `json:"changed,omitempty"`
	Tag     []byte    `json:"tag,omitempty"` // of the sealed version; none for the current one
}

// history is a record's versions, oldest first; the last is the current one.
type history struct {
	Versions []versionEntry `json:"versions"`
}

func versionKey(key string, n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte(key), n)
}

// histTag returns the tag of a record's history from its index entry; zero
// when it has none.
func histTag(entryVal string) (t tag) {
	if len(entryVal) == 3*tagLen {
		copy(t[:], entryVal[2*tagLen:])
	}
	return t
}

// history returns the history of the record with the given key, whose index
// entry is ev; r is the record, used for the one version of a record that
// has no history.
func (tx *Tx) history(key, ev string, r *secret.Record) (*history, error) {
	pt, err := tx.checked(bucketVersions, []byte(key), histTag(ev), &tx.k.records, "history of record")
	if err != nil {
		return nil, err
	}
	if pt == nil {
		at := r.CreatedAt
		if at.IsZero() {
			at = r.UpdatedAt
		}
		by := ""
		if !r.Mine() {
			by = r.Owner // a record someone shared was made by its owner
		}
		return &history{Versions: []versionEntry{{N: 1, At: at, By: by}}}, nil
	}
	h := &history{}
	if pt, err = unpad(pt); err == nil {
		err = json.Unmarshal(pt, h)
	}
	if err != nil || len(h.Versions) == 0 {
		return nil, tampered("history of record %x is malformed", key)
	}
	for i, e := range h.Versions {
		last := i == len(h.Versions)-1
		if (i > 0 && e.N <= h.Versions[i-1].N) || last != (len(e.Tag) == 0) || (!last && len(e.Tag) != tagLen) {
			return nil, tampered("history of record %x is malformed", key)
		}
	}
	return h, nil
}

// storeHistory seals h for the record and returns its tag, or deletes it
// when it holds nothing but the current version and nothing else (the
// record's first version).
func (tx *Tx) storeHistory(key string, h *history) tag {
	if len(h.Versions) == 1 && h.Versions[0].N == 1 {
		tx.del(bucketVersions, []byte(key))
		return tag{}
	}
	b, _ := json.Marshal(h)
	sealed := tx.k.records.seal(bucketVersions, []byte(key), pad(b))
	tx.put(bucketVersions, []byte(key), sealed)
	return tagOf(sealed)
}

// maxVersions is the number of earlier versions kept.
func (tx *Tx) maxVersions() int {
	switch n := tx.v.maxVersions; {
	case n == 0:
		return DefaultMaxVersions
	case n < 0:
		return 0
	default:
		return n
	}
}

// keepVersion stores old (a full record, client secret included) as an
// earlier version of the record, records the change that made r, drops
// the versions beyond the limit, and returns the new history's tag.
func (tx *Tx) keepVersion(key, ev string, old, r *secret.Record, changed []string) (tag, error) {
	h, err := tx.history(key, ev, old)
	if err != nil {
		return tag{}, err
	}
	cur := &h.Versions[len(h.Versions)-1]
	pt, err := old.MarshalBinary()
	if err != nil {
		return tag{}, err
	}
	vk := versionKey(key, cur.N)
	sealed := tx.k.records.seal(bucketVersions, vk, pad(pt))
	clear(pt)
	tx.put(bucketVersions, vk, sealed)
	t := tagOf(sealed)
	cur.Tag = t[:]
	h.Versions = append(h.Versions, versionEntry{N: cur.N + 1, At: tx.Now(), By: tx.change.By, Note: tx.change.Note, Changed: changed})
	tx.dropVersions(key, h, tx.maxVersions())
	return tx.storeHistory(key, h), nil
}

// dropVersions deletes the oldest earlier versions until at most keep are
// left.
func (tx *Tx) dropVersions(key string, h *history, keep int) int {
	n := 0
	for len(h.Versions)-1 > keep {
		tx.del(bucketVersions, versionKey(key, h.Versions[0].N))
		h.Versions = h.Versions[1:]
		n++
	}
	return n
}

// recordKey checks a record id and returns its key and index entry.
func (tx *Tx) recordKey(id string) (key, ev string, err error) {
	keyb, err := hex.DecodeString(id)
	if err != nil || len(keyb) != idLen {
		return "", "", fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	ev, ok, err := tx.entry(kindRecord, string(keyb))
	if err == nil && !ok {
		err = fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	return string(keyb), ev, err
}

// History lists the versions of the record with the given id, oldest
// first; the last is the current one.
func (tx *Tx) History(id string) ([]Version, error) {
	_, _, h, err := tx.historyOf(id)
	if err != nil {
		return nil, err
	}
	out := make([]Version, len(h.Versions))
	for i, e := range h.Versions {
		out[i] = Version{N: int(e.N), At: e.At, By: e.By, Note: e.Note, Changed: slices.Clone(e.Changed), Current: i == len(h.Versions)-1}
	}
	return out, nil
}

// VersionNotFoundError reports a version a record does not have (any more).
type VersionNotFoundError struct {
	N, Oldest, Current int
}

func (e *VersionNotFoundError) Error() string {
	if e.Oldest == e.Current {
		return fmt.Sprintf("there is no version %d: only version %d is kept", e.N, e.Current)
	}
	return fmt.Sprintf("there is no version %d: versions %d to %d are kept", e.N, e.Oldest, e.Current)
}

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *VersionNotFoundError) Unwrap() error { return ErrNotFound }

// Version returns version n of the record with the given id, client secret
// included: the record itself for the current version. A version that was
// never made or is no longer kept is a *VersionNotFoundError.
func (tx *Tx) Version(id string, n int) (*secret.Record, error) {
	key, r, h, err := tx.historyOf(id)
	if err != nil {
		return nil, err
	}
	last := len(h.Versions) - 1
	for i, e := range h.Versions {
		if int(e.N) != n {
			continue
		}
		if i == last {
			return r, nil
		}
		var t tag
		copy(t[:], e.Tag)
		vk := versionKey(key, e.N)
		pt, err := tx.checked(bucketVersions, vk, t, &tx.k.records, "version of record")
		if err == nil {
			if pt, err = unpad(pt); err != nil {
				err = tampered("version %d of record %x does not decrypt in its place", e.N, key)
			}
		}
		if err != nil {
			return nil, err
		}
		old := &secret.Record{}
		err = old.UnmarshalBinary(pt)
		clear(pt)
		if err != nil || old.ID != id {
			return nil, tampered("version %d of record %x is not in its place", e.N, key)
		}
		return old, nil
	}
	return nil, &VersionNotFoundError{N: n, Oldest: int(h.Versions[0].N), Current: int(h.Versions[last].N)}
}

// PruneHistory deletes every earlier version of the record with the given
// id, keeping the current one and its number, and returns how many it
// deleted. Their pages are erased after the commit.
func (tx *Tx) PruneHistory(id string) (int, error) {
	key, ev, err := tx.recordKey(id)
	if err != nil {
		return 0, err
	}
	r, err := tx.record(key)
	if err != nil {
		return 0, err
	}
	h, err := tx.history(key, ev, r)
	if err != nil {
		return 0, err
	}
	n := tx.dropVersions(key, h, 0)
	if n == 0 {
		return 0, nil
	}
	ht := tx.storeHistory(key, h)
	mt, st, _ := recordTags(ev)
	if err := tx.setEntry(kindRecord, key, entryValue(mt, st, ht)); err != nil {
		return 0, err
	}
	return n, nil
}

// deleteHistory deletes a record's history and every version it keeps.
func (tx *Tx) deleteHistory(key, ev string, r *secret.Record) error {
	if histTag(ev).zero() {
		return nil
	}
	h, err := tx.history(key, ev, r)
	if err != nil {
		return err
	}
	tx.dropVersions(key, h, 0)
	tx.del(bucketVersions, []byte(key))
	return nil
}

// entryValue is a record's index entry: the tags of its metadata, its
// client secret and, when it has one, its history.
func entryValue(meta, sec, hist tag) string {
	v := string(meta[:]) + string(sec[:])
	if !hist.zero() {
		v += string(hist[:])
	}
	return v
}

// keptVersions are a record's history and its earlier versions, read for
// rotate-keys to seal again under the new keys.
type keptVersions struct {
	key      string
	h        *history
	versions []*secret.Record // one per entry of h but the last
}

// allVersions reads the history and earlier versions of every record in
// recs that has any.
func (tx *Tx) allVersions(recs []*secret.Record) ([]keptVersions, error) {
	var out []keptVersions
	for _, r := range recs {
		key, ev, err := tx.recordKey(r.ID)
		if err != nil {
			return nil, err
		}
		if histTag(ev).zero() {
			continue
		}
		h, err := tx.history(key, ev, r)
		if err != nil {
			return nil, err
		}
		kv := keptVersions{key: key, h: h}
		for _, e := range h.Versions[:len(h.Versions)-1] {
			old, err := tx.Version(r.ID, int(e.N))
			if err != nil {
				return nil, err
			}
			kv.versions = append(kv.versions, old)
		}
		out = append(out, kv)
	}
	return out, nil
}

// restoreVersions seals what allVersions read under the transaction's keys
// and points the records' index entries at it.
func (tx *Tx) restoreVersions(all []keptVersions) error {
	for _, kv := range all {
		for i, old := range kv.versions {
			pt, err := old.MarshalBinary()
			if err != nil {
				return err
			}
			vk := versionKey(kv.key, kv.h.Versions[i].N)
			sealed := tx.k.records.seal(bucketVersions, vk, pad(pt))
			clear(pt)
			tx.put(bucketVersions, vk, sealed)
			t := tagOf(sealed)
			kv.h.Versions[i].Tag = t[:]
		}
		ev, _, err := tx.entry(kindRecord, kv.key)
		if err != nil {
			return err
		}
		mt, st, _ := recordTags(ev)
		if err := tx.setEntry(kindRecord, kv.key, entryValue(mt, st, tx.storeHistory(kv.key, kv.h))); err != nil {
			return err
		}
	}
	return nil
}

// historyOf returns the key of the record with the given id, the record
// and its history.
func (tx *Tx) historyOf(id string) (string, *secret.Record, *history, error) {
	key, ev, err := tx.recordKey(id)
	if err != nil {
		return "", nil, nil, err
	}
	r, err := tx.record(key)
	if err != nil {
		return "", nil, nil, err
	}
	h, err := tx.history(key, ev, r)
	if err != nil {
		return "", nil, nil, err
	}
	return key, r, h, nil
}
