//go:build !unix

package safefile

import "os"

const noFollow = 0

// tryLock always succeeds where flock does not exist. On Windows a file
// another process holds open cannot be removed, which protects a temporary
// file still being written just as well.
func tryLock(*os.File) (bool, error) { return true, nil }

func openNonblock(path string) (*os.File, error) { return os.Open(path) }
