//go:build !linux

package term

import "errors"

// echoOff is only implemented on Linux; elsewhere readSecret lets x/term
// turn echo off after the prompt.
func echoOff(fd int) (restore func(), err error) {
	return nil, errors.New("not supported")
}
