//go:build windows

package term

import "os"

func openTTY() (TTY, error) { return os.OpenFile("CONIN$", os.O_RDWR, 0) }
