//go:build unix

package cli

import (
	"os"
	"syscall"
)

// forwarded are the signals passed on to the child; SIGINT and SIGQUIT only
// when no terminal delivers them to it directly.
var forwarded = []os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}
