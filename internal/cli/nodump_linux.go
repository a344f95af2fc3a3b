package cli

import "golang.org/x/sys/unix"

// disableCoreDumps keeps the process's memory, which holds the passphrase,
// the vault identity and client secrets, out of core files: the core size
// limit becomes 0 (for this process and what it starts), and the process is
// marked not dumpable, which also stops other processes of the same user
// from attaching a debugger or reading its memory through /proc. Errors are
// ignored: a system that refuses leaves the process as it was, never worse.
func disableCoreDumps() {
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0})
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
