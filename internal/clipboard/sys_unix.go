//go:build unix

package clipboard

import (
	"fmt"
	"os"
	"syscall"
)

// detachedAttr puts the clear helper in a session of its own: no controlling
// terminal, so closing the terminal or pressing Ctrl-C does not reach it.
func detachedAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// toolAttr puts a clipboard tool in a session of its own too. xclip, xsel
// and wl-copy leave a process behind that serves the clipboard; without this
// it would die with the terminal and take the content with it.
func toolAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// checkPrivateDir refuses a state directory that is a symbolic link, is not a
// directory, or belongs to another user (someone could have created it first
// in a shared temporary directory), and makes it 0700 if it is wider.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("cannot check the owner of %s", dir)
	}
	if uint64(st.Uid) != uint64(os.Getuid()) {
		return fmt.Errorf("%s belongs to another user (uid %d); remove it or set XDG_RUNTIME_DIR", dir, st.Uid)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("%s is open to other users and cannot be made private: %w", dir, err)
		}
	}
	return nil
}
