//go:build !linux

package agent

import (
	"errors"
	"io/fs"
	"net"
	"syscall"
)

var errUnsupported = errors.New("the agent needs Linux (it checks callers with SO_PEERCRED)")

func harden() error { return errUnsupported }

func peerUID(c *net.UnixConn) int { return -1 }

func listenPrivate(socket string) (*net.UnixListener, error) { return nil, errUnsupported }

func lockFile(path string) (func(), error) { return nil, errUnsupported }

func ownerOf(fi fs.FileInfo) (int, bool) { return 0, false }

func startAttr() *syscall.SysProcAttr { return nil }
