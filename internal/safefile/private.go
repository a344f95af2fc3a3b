package safefile

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrNotPrivate is matched by every *NotPrivateError: a file that holds or
// unlocks secrets is open to other users.
var ErrNotPrivate = errors.New("is open to other users")

// NotPrivateError says why CheckPrivate refused a file.
type NotPrivateError struct {
	Path string
	Mode fs.FileMode // permission bits
	// Owner is the file's owner when it is not the user running mysafe,
	// and -1 otherwise.
	Owner int
	// Writable reports that users other than the owner can write the
	// file, which no setting accepts.
	Writable bool
}

func (e *NotPrivateError) Error() string {
	switch {
	case e.Writable:
		return fmt.Sprintf("%s can be written by other users (mode %04o)", e.Path, e.Mode)
	case e.Owner >= 0:
		return fmt.Sprintf("%s belongs to another user (uid %d)", e.Path, e.Owner)
	}
	return fmt.Sprintf("%s can be read by other users (mode %04o)", e.Path, e.Mode)
}

// Is makes errors.Is(err, ErrNotPrivate) hold.
func (e *NotPrivateError) Is(target error) bool { return target == ErrNotPrivate }

// CheckPrivate decides whether the file fi describes (the vault, an identity
// or passphrase file) is private enough to use, as ssh does for its keys:
//
//   - a file its group or other users can write is always refused: whoever
//     can write it can put a vault or identity of their own in its place,
//     and the user would then store secrets where that person reads them;
//   - a file its group or others can read, or that belongs to another user
//     (who can change it at will), is refused unless shared is set: the
//     setting for a vault or identity shared read-only on purpose (a file
//     checked out of a repository, a vault a deployment account owns).
//
// It returns nil or a *NotPrivateError. On systems without Unix
// permissions it accepts every file.
func CheckPrivate(path string, fi fs.FileInfo, shared bool) error {
	owner, ok := fileOwner(fi)
	if !ok {
		return nil
	}
	perm := fi.Mode().Perm()
	e := &NotPrivateError{Path: path, Mode: perm, Owner: -1}
	if owner != currentUser() {
		e.Owner = owner
	}
	switch {
	case perm&0o022 != 0:
		e.Writable = true
		return e
	case shared:
		return nil
	case e.Owner >= 0 || perm&0o044 != 0:
		return e
	}
	return nil
}
