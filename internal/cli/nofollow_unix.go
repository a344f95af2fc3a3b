//go:build unix

package cli

import "syscall"

// oNoFollow makes opening a symbolic link fail, closing the gap between
// checking a path and opening it.
const oNoFollow = syscall.O_NOFOLLOW
