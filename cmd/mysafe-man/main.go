// Command mysafe-man writes mysafe's man pages into a directory:
//
//	go run ./cmd/mysafe-man [-version VERSION] DIR
//
// Release builds and scripts/build-deb.sh run it; SOURCE_DATE_EPOCH dates
// the pages.
package main

import (
	"os"
	"time"

	"github.com/mysafe/mysafe/internal/manpages"
)

func main() { os.Exit(manpages.Main(os.Args[1:], os.Getenv, time.Now, os.Stderr)) }
