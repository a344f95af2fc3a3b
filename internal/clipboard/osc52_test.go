package clipboard

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// countingWriter records each Write separately.
type countingWriter struct{ writes [][]byte }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), nil
}

func TestWriteOSC52Bytes(t *testing.T) {
	tests := []struct {
		data []byte
		want []byte
	}{
		{[]byte("hello"), []byte{0x1b, ']', '5', '2', ';', 'c', ';', 'a', 'G', 'V', 's', 'b', 'G', '8', '=', 0x07}},
		{[]byte("sk_live_4f9"), []byte("\x1b]52;c;c2tfbGl2ZV80Zjk=\x07")},
		{[]byte{0x00, 0xff, 0xfe, '\n'}, []byte("\x1b]52;c;AP/+Cg==\x07")},
		{[]byte("é"), []byte("\x1b]52;c;w6k=\x07")},
		{nil, []byte("\x1b]52;c;\x07")},
	}
	for _, tt := range tests {
		var w countingWriter
		if err := WriteOSC52(&w, tt.data); err != nil {
			t.Fatalf("WriteOSC52(%q): %v", tt.data, err)
		}
		if len(w.writes) != 1 {
			t.Fatalf("WriteOSC52(%q) made %d writes; want one, so the sequence cannot be split", tt.data, len(w.writes))
		}
		if !bytes.Equal(w.writes[0], tt.want) {
			t.Errorf("WriteOSC52(%q) wrote %q; want %q", tt.data, w.writes[0], tt.want)
		}
	}
}

func TestWriteOSC52NoTerminal(t *testing.T) {
	if err := WriteOSC52(nil, []byte("x")); err == nil {
		t.Fatal("WriteOSC52(nil writer) succeeded")
	}
}

func TestCopyOSC52(t *testing.T) {
	noDisplay := fakeEnv{"linux", nil, []string{"xclip"}}.env()
	withDisplay := fakeEnv{"linux", map[string]string{"DISPLAY": ":0"}, []string{"xclip"}}.env()
	for _, tc := range []struct {
		name string
		env  Env
		opts Options
	}{
		{"chosen because there is no display", noDisplay, Options{ClearAfter: 45 * time.Second}},
		{"asked for", withDisplay, Options{OSC52: true, ClearAfter: 45 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tty bytes.Buffer
			tc.opts.Terminal = &tty
			res, err := Copy(context.Background(), tc.env, []byte("hello"), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := Result{Backend: OSC52}
			if res != want {
				t.Errorf("Result = %+v; want %+v (OSC 52 is never cleared)", res, want)
			}
			if got := tty.String(); got != "\x1b]52;c;aGVsbG8=\a" {
				t.Errorf("terminal got %q", got)
			}
		})
	}
}

func TestCopyRejects(t *testing.T) {
	env := fakeEnv{"linux", nil, nil}.env()
	var tty bytes.Buffer
	if _, err := Copy(context.Background(), env, nil, Options{Terminal: &tty}); err == nil {
		t.Error("copying nothing succeeded")
	}
	if _, err := Copy(context.Background(), env, []byte("x"), Options{Terminal: &tty, ClearAfter: -time.Second}); err == nil {
		t.Error("a negative delay was accepted")
	}
	if tty.Len() != 0 {
		t.Errorf("the terminal got %q after a rejected copy", tty.String())
	}
}

func ExampleWriteOSC52() {
	var tty bytes.Buffer // in mysafe: /dev/tty, opened for writing
	_ = WriteOSC52(&tty, []byte("hello"))
	fmt.Printf("%q\n", tty.String())
	// Output: "\x1b]52;c;aGVsbG8=\a"
}
