//go:build race

package vault

// raceEnabled shortens the slowest sweeps under the race detector, which
// makes them ten times slower without finding more.
const raceEnabled = true
