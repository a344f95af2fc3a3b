//go:build !unix

package cli

// oNoFollow is not available here; the Lstat check before opening remains.
const oNoFollow = 0
