// Package clitest builds the mysafe process that the command tests run: the
// test binary re-executed as "mysafe" by testscript or by a test that drives
// a pseudo-terminal. It is imported by tests only.
package clitest

import (
	"os"
	"time"

	"github.com/mysafe/mysafe/internal/cli"
	"github.com/mysafe/mysafe/internal/term"
)

// WorkFactor keeps scrypt cheap in tests; real vaults use age's default.
const WorkFactor = 10

// Factory is the real process with test-only changes: a low scrypt work
// factor, a short lock timeout, the host name "testhost" in the audit log,
// and a fixed clock when MYSAFE_TEST_NOW is set (RFC 3339), so golden
// output is stable. None of them exists in the mysafe binary.
func Factory() *cli.Factory {
	f := &cli.Factory{IO: term.System(), Getenv: os.Getenv, Now: time.Now, Version: "test",
		Hostname:         func() (string, error) { return "testhost", nil },
		ScryptWorkFactor: WorkFactor, LockTimeout: 300 * time.Millisecond}
	if s := os.Getenv("MYSAFE_TEST_NOW"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic("MYSAFE_TEST_NOW: " + err.Error())
		}
		f.Now = func() time.Time { return t }
	}
	return f
}

// Main runs the mysafe command line of this process, as the mysafe binary
// would, and returns its exit code.
func Main() int { return cli.MainWith(os.Args[1:], Factory()) }
