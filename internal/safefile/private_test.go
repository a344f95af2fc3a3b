//go:build unix

package safefile

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// fakeInfo is a file with a chosen mode and owner.
type fakeInfo struct {
	mode fs.FileMode
	uid  uint32
}

func (f fakeInfo) Name() string       { return "vault.db" }
func (f fakeInfo) Size() int64        { return 4096 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return &syscall.Stat_t{Uid: f.uid} }

func TestCheckPrivate(t *testing.T) {
	me := uint32(os.Geteuid())
	other := me + 4242
	for _, tc := range []struct {
		name   string
		mode   fs.FileMode
		uid    uint32
		shared bool
		want   string // "" for accepted
	}{
		{"private", 0o600, me, false, ""},
		{"read-only private", 0o400, me, false, ""},
		{"owner may execute", 0o700, me, false, ""},
		{"others may only execute", 0o711, me, false, ""},
		{"group reads", 0o640, me, false, "v can be read by other users (mode 0640)"},
		{"anyone reads", 0o604, me, false, "v can be read by other users (mode 0604)"},
		{"group reads, shared", 0o640, me, true, ""},
		{"anyone reads, shared", 0o644, me, true, ""},
		{"group writes", 0o620, me, false, "v can be written by other users (mode 0620)"},
		{"anyone writes", 0o602, me, false, "v can be written by other users (mode 0602)"},
		{"group writes, shared", 0o660, me, true, "v can be written by other users (mode 0660)"},
		{"another owner", 0o600, other, false, "v belongs to another user (uid " + strconv.Itoa(int(other)) + ")"},
		{"another owner, shared", 0o644, other, true, ""},
		{"another owner who lets others write, shared", 0o666, other, true, "v can be written by other users (mode 0666)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPrivate("v", fakeInfo{mode: tc.mode, uid: tc.uid}, tc.shared)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var np *NotPrivateError
			if !errors.As(err, &np) || !errors.Is(err, ErrNotPrivate) {
				t.Fatalf("err = %v, want a NotPrivateError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("got %q, want %q", err, tc.want)
			}
		})
	}
}
