package team

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// Folders of a team repository.
const (
	MembersDir = "members"
	RecordsDir = "records"
)

// Extensions of member files: a contact card, or a plain public key (a
// member without mysafe, such as a CI job's age key).
const (
	cardExt = ".card"
	keyExt  = ".key"
	fileExt = ".bundle"
)

// ErrName is wrapped by errors about a file whose name does not fit its
// place or its content.
var ErrName = errors.New("file name does not match its content")

// RecordFile is what a record file's name says.
type RecordFile struct {
	UID      string
	Revision uint64
	Hash     string // SHA-256 of the file, lower-case hex
}

// RecordPath returns the path of the file holding data, one revision of
// the record uid.
func RecordPath(uid string, revision uint64, data []byte) string {
	sum := sha256.Sum256(data)
	return path.Join(RecordsDir, uid, strconv.FormatUint(revision, 10)+"-"+hex.EncodeToString(sum[:])+fileExt)
}

// ParseRecordPath parses a path made by RecordPath; ok is false for any
// other path.
func ParseRecordPath(p string) (f RecordFile, ok bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 3 || parts[0] != RecordsDir || !isHex(parts[1], 32) {
		return f, false
	}
	base, found := strings.CutSuffix(parts[2], fileExt)
	if !found {
		return f, false
	}
	rev, hash, found := strings.Cut(base, "-")
	if !found || !isHex(hash, 64) || rev == "" || rev[0] == '0' || len(rev) > 20 {
		return f, false
	}
	n, err := strconv.ParseUint(rev, 10, 64)
	if err != nil {
		return f, false
	}
	return RecordFile{UID: parts[1], Revision: n, Hash: hash}, true
}

// CheckContent returns an error wrapping ErrName unless data is the
// content the name f was made for: the same SHA-256. The record id and the
// revision inside are checked once the file is opened (see Decide).
func (f RecordFile) CheckContent(data []byte) error {
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != f.Hash {
		return fmt.Errorf("%w: its content was changed, or it was copied under another name", ErrName)
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// MemberPath returns the path of a member's card, or of their plain key
// when card is false.
func MemberPath(name string, card bool) string {
	if card {
		return path.Join(MembersDir, name+cardExt)
	}
	return path.Join(MembersDir, name+keyExt)
}

// ParseMemberPath returns the member name of a path made by MemberPath.
func ParseMemberPath(p string) (name string, ok bool) {
	rest, found := strings.CutPrefix(p, MembersDir+"/")
	if !found {
		return "", false
	}
	for _, ext := range []string{cardExt, keyExt} {
		if n, found := strings.CutSuffix(rest, ext); found && CheckMemberName(n) == nil {
			return n, true
		}
	}
	return "", false
}

// CheckMemberName returns an error unless name can name a member and the
// file of their card: one word of letters, digits, '-', '_' and '.', not
// starting with '.', at most 64 bytes.
func CheckMemberName(name string) error {
	if name == "" || len(name) > 64 || name[0] == '.' || strings.IndexFunc(name, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.')
	}) >= 0 {
		return fmt.Errorf("invalid member name %q: one word of letters, digits, '-', '_' and '.', not starting with '.'", name)
	}
	return nil
}
