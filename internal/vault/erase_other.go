//go:build !linux

package vault

import "os"

// erasePage makes the page at off read back as zeros by writing zeros over
// it.
func erasePage(f *os.File, off int64, zero []byte) error {
	_, err := f.WriteAt(zero, off)
	return err
}
