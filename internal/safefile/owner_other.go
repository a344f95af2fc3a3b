//go:build !unix

package safefile

import "io/fs"

// fileOwner reports that file owners and Unix permissions do not apply.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }

func currentUser() int { return 0 }
