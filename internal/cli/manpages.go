package cli

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// NewCmdManPages builds the hidden `mysafe man-pages DIR`, which writes one
// man page per command (mysafe.1, mysafe-reveal.1, ...) from the commands
// themselves, for release archives and packages. SOURCE_DATE_EPOCH, when
// set, dates the pages so that builds are reproducible.
func NewCmdManPages(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "man-pages DIR",
		Short:  "Write the man pages of every command into DIR",
		Hidden: true,
		Args:   exactArgs(1, "one DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			date := f.Now()
			if s := f.Getenv("SOURCE_DATE_EPOCH"); s != "" {
				sec, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return usageErr(fmt.Sprintf("SOURCE_DATE_EPOCH %q is not a number of seconds", s))
				}
				date = time.Unix(sec, 0)
			}
			date = date.UTC()
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			header := &doc.GenManHeader{Title: "MYSAFE", Section: "1", Date: &date,
				Source: "mysafe " + f.Version, Manual: "mysafe manual"}
			return doc.GenManTree(root, header, args[0])
		},
	}
}
