// Package safefile writes files that appear whole or not at all.
//
// mysafe writes exports (secrets in clear), share bundles and backups. A
// write that fails part-way (a full disk, a kill) must not leave a truncated
// file at the name the user gave, where it could pass for a complete one.
// The data goes to a temporary file next to the target, named
// ".NAME.tmp-DIGITS", and takes the target's name only once it is complete
// and on disk. A killed process leaves its temporary file behind; the next
// Create for the same target removes such leftovers, and only those no live
// process is still writing.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Errors Create returns for a target it will not write. Each wraps the
// matching io/fs error, so errors.Is(err, fs.ErrExist) also holds for
// ErrExists.
var (
	// ErrExists: the target exists and overwriting was not asked for.
	ErrExists = fmt.Errorf("already exists: %w", fs.ErrExist)
	// ErrSymlink: the target is a symbolic link; mysafe does not write
	// secrets through one.
	ErrSymlink = errors.New("is a symbolic link")
	// ErrNotRegular: the target is a folder, a device, a FIFO or a socket.
	ErrNotRegular = errors.New("is not a regular file")
)

// File is a file being written; its data reaches the target on Commit.
type File struct {
	f      *os.File
	target string
	force  bool
}

// tmpMarker separates the target's name from the random part in a
// temporary file's name.
const tmpMarker = ".tmp-"

// Create starts writing path, with mode 0600. An existing path is an error
// (ErrExists) unless force is set; a symbolic link (ErrSymlink) or anything
// but a regular file (ErrNotRegular) is refused either way. Leftover
// temporary files of earlier writes to path that were killed are removed.
func Create(path string, force bool) (*File, error) {
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return nil, ErrSymlink
		case !fi.Mode().IsRegular():
			return nil, ErrNotRegular
		case !force:
			return nil, ErrExists
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	removeStale(dir, base)
	tmp, err := os.CreateTemp(dir, "."+base+tmpMarker+"*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the caller names the target, not the temporary file
		}
		return nil, err
	}
	// The lock tells a later Create that this temporary file is in use; it
	// ends when the file is closed or the process dies.
	if _, err := tryLock(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &File{f: tmp, target: path, force: force}, nil
}

// Write writes to the temporary file. An error names the target, not the
// temporary file, which is gone once the write is aborted.
func (p *File) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = &fs.PathError{Op: pe.Op, Path: p.target, Err: pe.Err}
	}
	return n, err
}

// Commit flushes the data to disk and gives it the target's name. Without
// force it refuses (ErrExists) to replace a file that appeared in the
// meantime. After any error the target is as it was before Create and the
// temporary file is gone.
func (p *File) Commit() error {
	err := p.f.Sync()
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p.f.Name())
		return err
	}
	if p.force {
		err = os.Rename(p.f.Name(), p.target)
	} else if err = os.Link(p.f.Name(), p.target); err == nil || errors.Is(err, fs.ErrExist) {
		os.Remove(p.f.Name())
		if err != nil {
			return ErrExists
		}
	} else {
		// No hard links on this file system: fall back to a rename.
		err = os.Rename(p.f.Name(), p.target)
	}
	if err != nil {
		os.Remove(p.f.Name())
		return err
	}
	syncDir(filepath.Dir(p.target))
	return nil
}

// Abort discards what was written; the target is left as it was.
func (p *File) Abort() {
	p.f.Close()
	os.Remove(p.f.Name())
}

// syncDir makes a rename in dir durable. It is best effort: some systems
// cannot sync a folder, and the data itself is already on disk.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// IsTemp reports whether name (a base name) is a temporary file Create made
// for a target named base: "." + base + ".tmp-" + digits.
func IsTemp(name, base string) bool {
	rest, ok := strings.CutPrefix(name, "."+base+tmpMarker)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// removeStale removes the temporary files of earlier writes to dir/base that
// no process holds any more. Errors are ignored: a leftover that cannot be
// removed harms nothing new.
func removeStale(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(e.Name(), base) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(name, os.O_RDONLY|noFollow, 0)
		if err != nil {
			continue
		}
		if free, err := tryLock(f); err == nil && free {
			os.Remove(name)
		}
		f.Close()
	}
}
