//go:build !unix

package cli

import (
	"os"
	"syscall"
)

// forwarded are the signals passed on to the child where there are no
// user signals or window-size changes to pass on.
var forwarded = []os.Signal{syscall.SIGTERM, syscall.SIGHUP}
