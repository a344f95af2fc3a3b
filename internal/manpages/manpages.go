// Package manpages writes mysafe's man pages (mysafe.1, mysafe-reveal.1, ...)
// from its command tree, for release archives and packages. It is a program
// of its own, mysafe-man, rather than a command of mysafe: the Markdown
// renderer behind cobra's man page generator would otherwise be set up by
// every run of mysafe, a noticeable part of a short command's start-up.
package manpages

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/mysafe/mysafe/internal/cli"
	"github.com/mysafe/mysafe/internal/term"
)

// Write writes one man page per command of root that is not hidden into
// dir, creating it, with version in each page's footer and date as the
// pages' date.
func Write(root *cobra.Command, dir, version string, date time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	date = date.UTC()
	// What cobra adds when a command line runs: the completion command.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	header := &doc.GenManHeader{Title: "MYSAFE", Section: "1", Date: &date,
		Source: "mysafe " + version, Manual: "mysafe manual"}
	return doc.GenManTree(root, header, dir)
}

// Main runs `mysafe-man [-version VERSION] DIR` and returns its exit code:
// 0, or 2 for a bad command line and 1 when the pages cannot be written,
// with one `mysafe-man: ` line on stderr. SOURCE_DATE_EPOCH (from getenv),
// when set, dates the pages, so that builds are reproducible; otherwise
// they carry now's date.
func Main(args []string, getenv func(string) string, now func() time.Time, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "mysafe-man: "+format+"\n", a...)
		return code
	}
	fs := flag.NewFlagSet("mysafe-man", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	version := fs.String("version", "devel", "the version the pages name")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return fail(2, "usage: mysafe-man [-version VERSION] DIR")
		}
		return fail(2, "%v (usage: mysafe-man [-version VERSION] DIR)", err)
	}
	if fs.NArg() != 1 {
		return fail(2, "want one DIR (usage: mysafe-man [-version VERSION] DIR)")
	}
	date := now()
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fail(2, "SOURCE_DATE_EPOCH %q is not a number of seconds", s)
		}
		date = time.Unix(sec, 0)
	}
	f := &cli.Factory{IO: &term.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: stderr},
		Getenv: getenv, Now: now, Version: *version}
	if err := Write(cli.NewRootCmd(f), fs.Arg(0), *version, date); err != nil {
		return fail(1, "%v", err)
	}
	return 0
}
