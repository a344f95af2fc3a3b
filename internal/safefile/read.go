package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// ErrTooLarge is returned by ReadLimited for input longer than its limit.
var ErrTooLarge = errors.New("too large")

// OpenSource opens path for reading a key or a passphrase. It never waits:
// the file is opened without blocking, so a FIFO with no writer does not
// hang the open, and then anything but a regular file or a terminal (a FIFO,
// a pipe such as /dev/stdin, a socket, a device such as /dev/zero) is refused
// with ErrNotRegular: such a source may never end, or never begin.
func OpenSource(path string) (*os.File, error) {
	f, err := openNonblock(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() && !term.IsTerminal(int(f.Fd())) {
		f.Close()
		return nil, fmt.Errorf("%s %w (%s)", path, ErrNotRegular, kind(fi.Mode()))
	}
	return f, nil
}

// ReadLimited reads r to its end, but no more than limit bytes: longer
// input is ErrTooLarge, found as soon as byte limit+1 arrives, not after
// reading it all.
func ReadLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		clear(b)
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO or pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}
