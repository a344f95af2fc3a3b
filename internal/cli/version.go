package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// VersionOptions are the inputs of `mysafe version`.
type VersionOptions struct {
	F    *Factory
	JSON bool
}

// NewCmdVersion builds `mysafe version`.
func NewCmdVersion(f *Factory) *cobra.Command {
	opts := &VersionOptions{F: f}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print mysafe's version",
		Example: "  mysafe version\n  mysafe version --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return versionRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON object")
	return cmd
}

func versionRun(o *VersionOptions) error {
	if o.JSON {
		return writeJSON(o.F.IO.Out, struct {
			Version string `json:"version"`
			Go      string `json:"go"`
			OS      string `json:"os"`
			Arch    string `json:"arch"`
		}{o.F.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH})
	}
	_, err := fmt.Fprintf(o.F.IO.Out, "mysafe %s (%s, %s/%s)\n", o.F.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
