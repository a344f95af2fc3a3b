package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mysafe/mysafe/internal/safefile"
)

// openInputFile opens a file a flag names (what: "client secret file",
// "--env-file", ...) without ever waiting. It follows the rule of the
// unlock sources (safefile.OpenSource): a FIFO, a pipe or a device is
// refused at once, since it may never begin or never end; hint says what
// to give instead. A missing file is "not found".
func openInputFile(path, what, hint string) (*os.File, error) {
	fh, err := safefile.OpenSource(path)
	switch {
	case err == nil:
		return fh, nil
	case errors.Is(err, safefile.ErrNotRegular):
		return nil, withHint(errUsage, fmt.Errorf("%s: %w", what, err), hint)
	case errors.Is(err, fs.ErrNotExist):
		return nil, &exitError{class: errNotFound, err: fmt.Errorf("%s: %w", what, err)}
	}
	return nil, fmt.Errorf("%s: %w", what, err)
}

// readInputFile reads a whole file a flag names, up to max bytes, with the
// rules of openInputFile.
func readInputFile(path, what string, max int64) ([]byte, error) {
	fh, err := openInputFile(path, what, "give a regular file")
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := safefile.ReadLimited(fh, max)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, usageErr(fmt.Sprintf("%s: %s is larger than %d bytes", what, path, max))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return data, nil
}

// readRepoFile reads a file of the working copy that the remote chose:
// only a regular file (never through a link at its name, nor through a
// link out of the working copy on its way), at most max bytes.
func readRepoFile(dir, p string, max int64) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	fi, err := root.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	fh, err := root.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return safefile.ReadLimited(fh, max)
}
