package secret

import (
	"encoding/binary"
	"errors"
	"time"
	"unsafe"
)

// The binary form is what the vault encrypts: a version byte followed by
// fields, each a one-byte tag, a uvarint length and the bytes. It is several
// times faster to decode than JSON, which matters when `list` opens ten
// thousand records. Unknown tags are skipped so newer fields can be added
// without breaking older readers; absent fields keep their zero value.
const codecVersion = 1

const (
	tagID byte = iota + 1
	tagUID
	tagName
	tagURL
	tagClientID
	tagClientSecret
	tagIdentifier
	tagMethod
	tagTag
	tagNotes
	tagOwner
	tagOwnerKey
	tagPermission
	tagCreated
	tagUpdated
	tagLastUsed
	tagAccess
	tagRevision
	tagSyncedRevision
	tagOwnerUnverified
	tagTokenURL
	tagTokenAuth
)

const (
	accName byte = iota + 1
	accRecipient
	accPermission
	accGranted
	accRevoked
)

// ErrCorrupt is returned by UnmarshalBinary for bytes that are not a record.
var ErrCorrupt = errors.New("malformed record encoding")

type encoder struct{ b []byte }

func (e *encoder) bytes(tag byte, v []byte) {
	if len(v) == 0 {
		return
	}
	e.b = append(e.b, tag)
	e.b = binary.AppendUvarint(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *encoder) str(tag byte, v string) {
	if v == "" {
		return
	}
	e.b = append(e.b, tag)
	e.b = binary.AppendUvarint(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *encoder) uint(tag byte, v uint64) {
	if v == 0 {
		return
	}
	var tmp [binary.MaxVarintLen64]byte
	e.bytes(tag, binary.AppendUvarint(tmp[:0], v))
}

func (e *encoder) time(tag byte, t time.Time) {
	if t.IsZero() {
		return
	}
	var tmp [binary.MaxVarintLen64]byte
	e.bytes(tag, binary.AppendVarint(tmp[:0], t.UnixNano()))
}

// MarshalBinary encodes the record, client secret included. The result is
// plaintext: callers must encrypt it.
func (r *Record) MarshalBinary() ([]byte, error) {
	e := encoder{b: make([]byte, 0, 256+len(r.Notes)+len(r.ClientSecret.b))}
	e.b = append(e.b, codecVersion)
	e.str(tagID, r.ID)
	e.str(tagUID, r.UID)
	e.str(tagName, r.Name)
	e.str(tagURL, r.URL)
	e.str(tagClientID, r.ClientID)
	e.bytes(tagClientSecret, r.ClientSecret.b)
	e.str(tagIdentifier, r.Identifier)
	e.str(tagMethod, r.Method)
	e.str(tagTokenURL, r.TokenURL)
	e.str(tagTokenAuth, r.TokenAuth)
	for _, t := range r.Tags {
		e.str(tagTag, t)
	}
	e.str(tagNotes, r.Notes)
	e.str(tagOwner, r.Owner)
	e.str(tagOwnerKey, r.OwnerKey)
	e.str(tagPermission, string(r.Permission))
	e.time(tagCreated, r.CreatedAt)
	e.time(tagUpdated, r.UpdatedAt)
	e.time(tagLastUsed, r.LastUsedAt)
	for _, a := range r.Access {
		ae := encoder{}
		ae.str(accName, a.Name)
		ae.str(accRecipient, a.Recipient)
		ae.str(accPermission, string(a.Permission))
		ae.time(accGranted, a.GrantedAt)
		ae.time(accRevoked, a.RevokedAt)
		// An access entry always gets written, even when all its fields
		// are empty, so the list keeps its length.
		e.b = append(e.b, tagAccess)
		e.b = binary.AppendUvarint(e.b, uint64(len(ae.b)))
		e.b = append(e.b, ae.b...)
	}
	e.uint(tagRevision, r.Revision)
	e.uint(tagSyncedRevision, r.SyncedRevision)
	if r.OwnerUnverified {
		e.uint(tagOwnerUnverified, 1)
	}
	return e.b, nil
}

// decoder walks the fields of an encoded record. It works on a string: the
// whole record is converted once and every field is a substring of it, so
// decoding allocates one string per record instead of one per field. Over
// bytes it only checks the encoding: nothing it yields outlives them.
type decoder[S string | []byte] struct{ s S }

// uvarint decodes a uvarint at the start of s.
func uvarint[S string | []byte](s S) (uint64, int) {
	var x uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -1
			}
			return x | uint64(c)<<(7*i), i + 1
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	return 0, 0
}

// next returns the next field; ok is false at the end.
func (d *decoder[S]) next() (tag byte, v S, ok bool, err error) {
	if len(d.s) == 0 {
		return 0, v, false, nil
	}
	tag = d.s[0]
	n, w := uvarint(d.s[1:])
	if w <= 0 || n > uint64(len(d.s)-1-w) {
		return 0, v, false, ErrCorrupt
	}
	v = d.s[1+w : 1+w+int(n)]
	d.s = d.s[1+w+int(n):]
	return tag, v, true, nil
}

func decodeUint[S string | []byte](v S) (uint64, error) {
	n, w := uvarint(v)
	if w <= 0 || w != len(v) {
		return 0, ErrCorrupt
	}
	return n, nil
}

func decodeTime[S string | []byte](v S) (time.Time, error) {
	ux, w := uvarint(v)
	if w <= 0 || w != len(v) {
		return time.Time{}, ErrCorrupt
	}
	// Zig-zag, as binary.AppendVarint writes it.
	n := int64(ux >> 1)
	if ux&1 != 0 {
		n = ^n
	}
	return time.Unix(0, n).UTC(), nil
}

// UnmarshalBinary decodes bytes made by MarshalBinary into r, replacing its
// contents. It returns ErrCorrupt for malformed input and never panics.
func (r *Record) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] != codecVersion {
		return ErrCorrupt
	}
	return r.decode(string(b[1:]), nil, nil)
}

// UnmarshalView is UnmarshalBinary without the copy: every string r gets
// points into b, so r is valid only as long as b is unchanged and no longer.
// A caller that keeps anything of r keeps a copy of it. r's tags and access
// list reuse the arrays r had, so decoding record after record into one
// Record allocates nothing: this is how a listing reads every record once.
// It checks b exactly as UnmarshalBinary does.
func (r *Record) UnmarshalView(b []byte) error {
	if len(b) == 0 || b[0] != codecVersion {
		return ErrCorrupt
	}
	return r.decode(unsafe.String(unsafe.SliceData(b[1:]), len(b)-1), r.Tags[:0], r.Access[:0])
}

// decode decodes the fields in s (an encoding without its version byte)
// into r, replacing its contents; every string r gets is a substring of s.
// Tags and access entries are appended to tags and access (nil, or empty
// slices whose arrays r may reuse).
func (r *Record) decode(s string, tags []string, access []Access) error {
	*r = Record{Tags: tags, Access: access}
	d := decoder[string]{s: s}
	for {
		tag, v, ok, err := d.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch tag {
		case tagID:
			r.ID = v
		case tagUID:
			r.UID = v
		case tagName:
			r.Name = v
		case tagURL:
			r.URL = v
		case tagClientID:
			r.ClientID = v
		case tagClientSecret:
			r.ClientSecret = NewValue(v)
		case tagIdentifier:
			r.Identifier = v
		case tagMethod:
			r.Method = v
		case tagTokenURL:
			r.TokenURL = v
		case tagTokenAuth:
			r.TokenAuth = v
		case tagTag:
			r.Tags = append(r.Tags, v)
		case tagNotes:
			r.Notes = v
		case tagOwner:
			r.Owner = v
		case tagOwnerKey:
			r.OwnerKey = v
		case tagPermission:
			r.Permission = Permission(v)
		case tagCreated:
			r.CreatedAt, err = decodeTime(v)
		case tagUpdated:
			r.UpdatedAt, err = decodeTime(v)
		case tagLastUsed:
			r.LastUsedAt, err = decodeTime(v)
		case tagRevision:
			r.Revision, err = decodeUint(v)
		case tagSyncedRevision:
			r.SyncedRevision, err = decodeUint(v)
		case tagOwnerUnverified:
			var n uint64
			n, err = decodeUint(v)
			r.OwnerUnverified = n != 0
		case tagAccess:
			var a Access
			a, err = decodeAccess(v)
			r.Access = append(r.Access, a)
		}
		if err != nil {
			return err
		}
	}
}

// checkAccess returns the error decodeAccess would return for b.
func checkAccess(b []byte) error {
	d := decoder[[]byte]{s: b}
	for {
		tag, v, ok, err := d.next()
		if err != nil || !ok {
			return err
		}
		if tag == accGranted || tag == accRevoked {
			if _, err := decodeTime(v); err != nil {
				return err
			}
		}
	}
}

func decodeAccess(s string) (Access, error) {
	var a Access
	d := decoder[string]{s: s}
	for {
		tag, v, ok, err := d.next()
		if err != nil {
			return a, err
		}
		if !ok {
			return a, nil
		}
		switch tag {
		case accName:
			a.Name = v
		case accRecipient:
			a.Recipient = v
		case accPermission:
			a.Permission = Permission(v)
		case accGranted:
			a.GrantedAt, err = decodeTime(v)
		case accRevoked:
			a.RevokedAt, err = decodeTime(v)
		}
		if err != nil {
			return a, err
		}
	}
}
