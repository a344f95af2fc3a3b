package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// privateFile is an output file (an export, a share bundle) that appears
// whole or not at all, with mode 0600: the data goes to a temporary file
// next to the target and takes the target's name on Commit. An existing
// file is never written in place, so a hard link to it or a process holding
// it open never sees the new content, and a failed write leaves the old file
// as it was.
type privateFile struct {
	*os.File
	target string
	force  bool
}

// createPrivate starts writing path. An existing file is a conflict unless
// force is set; a symbolic link or anything but a regular file is refused.
func createPrivate(path string, force bool) (*privateFile, error) {
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return nil, usageErr(path + " is a symbolic link; refusing to write secrets through it")
		case !fi.Mode().IsRegular():
			return nil, usageErr(path + " is not a regular file")
		case !force:
			return nil, withHint(errConflict, fmt.Errorf("%s already exists", path), "use --force to overwrite it")
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // name the file the user asked for, not the temporary one
		}
		return nil, fmt.Errorf("cannot create %s: %w", path, err)
	}
	return &privateFile{File: tmp, target: path, force: force}, nil
}

// Commit flushes the data to disk and gives it the target's name. Without
// force it refuses to replace a file that appeared in the meantime.
func (p *privateFile) Commit() error {
	err := p.Sync()
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if p.force {
			err = os.Rename(p.Name(), p.target)
		} else if err = os.Link(p.Name(), p.target); err == nil || errors.Is(err, os.ErrExist) {
			os.Remove(p.Name())
			if err != nil {
				return withHint(errConflict, fmt.Errorf("%s already exists", p.target), "use --force to overwrite it")
			}
			return nil
		} else {
			// No hard links on this file system: fall back to a rename.
			err = os.Rename(p.Name(), p.target)
		}
	}
	if err != nil {
		os.Remove(p.Name())
	}
	return err
}

// Abort discards what was written.
func (p *privateFile) Abort() {
	p.Close()
	os.Remove(p.Name())
}
