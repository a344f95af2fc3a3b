package cli

import (
	"errors"
	"fmt"

	"github.com/mysafe/mysafe/internal/safefile"
)

// createPrivate starts writing an output file (an export, a share bundle)
// that appears whole or not at all, with mode 0600 (see safefile). An
// existing file is a conflict unless force is set; a symbolic link or
// anything but a regular file is refused.
func createPrivate(path string, force bool) (*safefile.File, error) {
	f, err := safefile.Create(path, force)
	if err != nil {
		return nil, outputErr("create", path, err)
	}
	return f, nil
}

// commitPrivate finishes an output file; a failure names the file the user
// asked for.
func commitPrivate(path string, f *safefile.File) error {
	if err := f.Commit(); err != nil {
		return outputErr("write", path, err)
	}
	return nil
}

// outputErr explains why path could not be written; op is what failed
// ("create", "write").
func outputErr(op, path string, err error) error {
	switch {
	case errors.Is(err, safefile.ErrSymlink):
		return usageErr(path + " is a symbolic link; refusing to write secrets through it")
	case errors.Is(err, safefile.ErrNotRegular):
		return usageErr(path + " is not a regular file")
	case errors.Is(err, safefile.ErrExists):
		return withHint(errConflict, fmt.Errorf("%s already exists", path), "use --force to overwrite it")
	}
	return fmt.Errorf("cannot %s %s: %w", op, path, err)
}
