package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// VersionOptions are the inputs of `mysafe version`.
type VersionOptions struct {
	F *Factory
}

// NewCmdVersion builds `mysafe version`.
func NewCmdVersion(f *Factory) *cobra.Command {
	opts := &VersionOptions{F: f}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print mysafe's version",
		Example: "  mysafe version",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return versionRun(opts)
		},
	}
}

func versionRun(o *VersionOptions) error {
	_, err := fmt.Fprintf(o.F.IO.Out, "mysafe %s (%s, %s/%s)\n", o.F.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
