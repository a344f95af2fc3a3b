package vault

import "syscall"

// mapPopulate asks the kernel to map the whole file at once: a command that
// reads every page (a listing) then takes one step instead of a page fault
// every few pages.
const mapPopulate = syscall.MAP_POPULATE
