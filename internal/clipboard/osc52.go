package clipboard

import (
	"encoding/base64"
	"errors"
	"io"
)

// WriteOSC52 asks the terminal behind w to put data on its clipboard, with the
// escape sequence ESC ] 52 ; c ; base64(data) BEL written in one Write.
//
// The terminal does not answer, so success only means the bytes were
// written: the terminal may ignore the request (many need it enabled; tmux
// needs set-clipboard on). Over SSH the sequence travels back to the local
// terminal, which is what makes OSC 52 useful there. Nothing can read the
// terminal's clipboard back, so an OSC 52 copy is never cleared
// automatically. An empty data writes ESC ] 52 ; c ; BEL, which some terminals
// take as "clear" and others ignore.
func WriteOSC52(w io.Writer, data []byte) error {
	if w == nil {
		return errors.New("no terminal to write to")
	}
	enc := base64.StdEncoding
	seq := make([]byte, 0, len("\x1b]52;c;")+enc.EncodedLen(len(data))+1)
	seq = append(seq, "\x1b]52;c;"...)
	seq = enc.AppendEncode(seq, data)
	seq = append(seq, '\a')
	_, err := w.Write(seq)
	// The sequence is the secret in another spelling; do not leave it to the
	// garbage collector.
	clear(seq)
	return err
}
