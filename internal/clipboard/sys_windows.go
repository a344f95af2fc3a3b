//go:build windows

package clipboard

import "syscall"

// Process creation flags (winbase.h); syscall does not name all of them.
const (
	detachedProcess       = 0x00000008
	createNewProcessGroup = 0x00000200
	createNoWindow        = 0x08000000
)

// detachedAttr starts the clear helper without a console and in a process
// group of its own, so closing the console or pressing Ctrl-C does not reach
// it.
func detachedAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: detachedProcess | createNewProcessGroup, HideWindow: true}
}

// toolAttr keeps PowerShell from opening a console window, which it would do
// when run by the helper, which has no console.
func toolAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: createNoWindow, HideWindow: true}
}

// checkPrivateDir does nothing: the state directory lives in the user's own
// temporary directory, which Windows already keeps private.
func checkPrivateDir(string) error { return nil }
