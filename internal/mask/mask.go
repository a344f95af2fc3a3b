// Package mask hides known secret values in a stream of output, as
// `mysafe exec --mask` does with what the command it runs prints.
package mask

import (
	"bytes"
	"io"
	"slices"
	"sync"
)

// Placeholder replaces every masked value.
const Placeholder = "<concealed by mysafe>"

// Writer copies what is written to it to an underlying writer with every
// occurrence of the values replaced by Placeholder. It holds back only what
// could still become a value: the end of a line that is the beginning of
// one. A value split across two writes is therefore masked too; a line is
// passed on once it is complete or can no longer hold a value. Close passes
// on what is held back. It is safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	values [][]byte // longest first, so the longest match wins
	held   []byte
	err    error
}

// NewWriter returns a Writer to w that masks values. Empty values are
// ignored: they would match everywhere.
func NewWriter(w io.Writer, values []string) *Writer {
	mw := &Writer{w: w}
	for _, v := range values {
		if v != "" && !slices.ContainsFunc(mw.values, func(b []byte) bool { return string(b) == v }) {
			mw.values = append(mw.values, []byte(v))
		}
	}
	slices.SortFunc(mw.values, func(a, b []byte) int { return len(b) - len(a) })
	return mw
}

// Write masks p and passes on all it can. It reports len(p) unless the
// underlying writer failed.
func (mw *Writer) Write(p []byte) (int, error) {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if mw.err != nil {
		return 0, mw.err
	}
	mw.held = append(mw.held, p...)
	out, keep := mw.scan(mw.held, false)
	mw.held = append(mw.held[:0], keep...)
	if len(out) > 0 {
		if _, err := mw.w.Write(out); err != nil {
			mw.err = err
			return 0, err
		}
	}
	return len(p), nil
}

// Close passes on what was held back (masked where it is a whole value). It
// does not close the underlying writer.
func (mw *Writer) Close() error {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if mw.err != nil {
		return mw.err
	}
	out, _ := mw.scan(mw.held, true)
	mw.held = nil
	if len(out) > 0 {
		_, mw.err = mw.w.Write(out)
	}
	return mw.err
}

// scan masks buf. Unless final, it stops at the first position where the
// rest of buf is a proper beginning of a value, and returns that rest to
// keep.
func (mw *Writer) scan(buf []byte, final bool) (out, keep []byte) {
	var o bytes.Buffer
	i := 0
next:
	for i < len(buf) {
		rest := buf[i:]
		for _, v := range mw.values {
			if len(rest) < len(v) {
				if !final && bytes.HasPrefix(v, rest) {
					// It may yet become this value, or a longer one.
					break next
				}
				continue
			}
			if bytes.HasPrefix(rest, v) {
				// The longest value that fits; a longer one that rest
				// only begins was caught above.
				o.WriteString(Placeholder)
				i += len(v)
				continue next
			}
		}
		o.WriteByte(buf[i])
		i++
	}
	return o.Bytes(), buf[i:]
}
