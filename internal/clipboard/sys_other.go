//go:build !unix && !windows

package clipboard

import "syscall"

func detachedAttr() *syscall.SysProcAttr { return nil }

func toolAttr() *syscall.SysProcAttr { return nil }

func checkPrivateDir(string) error { return nil }
