//go:build !linux

package vault

// mapPopulate is 0 where the kernel has no MAP_POPULATE: the file is
// mapped page by page as it is read.
const mapPopulate = 0
