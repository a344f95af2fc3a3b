package vault

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// erasePage makes the page at off read back as zeros. On Linux it first
// asks the file system to deallocate the page (a hole: nothing is written,
// the old blocks are released); where that is not supported it writes
// zeros over the page.
func erasePage(f *os.File, off int64, zero []byte) error {
	err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, int64(len(zero)))
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return err
	}
	_, err = f.WriteAt(zero, off)
	return err
}
