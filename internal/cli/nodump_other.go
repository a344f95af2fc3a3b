//go:build !unix

package cli

// disableCoreDumps does nothing where there are no core size limits.
func disableCoreDumps() {}
