//go:build !windows

package term

import "os"

func openTTY() (TTY, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) }
