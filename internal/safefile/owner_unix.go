//go:build unix

package safefile

import (
	"io/fs"
	"os"
	"syscall"
)

// fileOwner returns the uid that owns the file fi describes.
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// currentUser is the user whose files mysafe may trust: the effective uid,
// the one the kernel checks access against.
func currentUser() int { return os.Geteuid() }
