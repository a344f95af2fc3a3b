//go:build unix && !linux

package cli

import "golang.org/x/sys/unix"

// disableCoreDumps keeps the process's memory, which holds the passphrase,
// the vault identity and client secrets, out of core files by setting the
// core size limit to 0. Errors are ignored: a system that refuses leaves the
// process as it was, never worse.
func disableCoreDumps() { _ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}) }
