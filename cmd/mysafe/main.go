// Command mysafe is a local, encrypted vault for API secrets.
package main

import (
	"os"

	"github.com/mysafe/mysafe/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version string

func main() { os.Exit(cli.Main(version)) }
