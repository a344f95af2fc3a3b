package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// IdentityExportOptions are the inputs of `mysafe identity export`.
type IdentityExportOptions struct {
	F *Factory
}

// NewCmdIdentityExport builds `mysafe identity export`.
func NewCmdIdentityExport(f *Factory) *cobra.Command {
	opts := &IdentityExportOptions{F: f}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print the vault's secret identity (AGE-SECRET-KEY-1...) for CI",
		Long: `Print the vault's secret identity. Put it in MYSAFE_IDENTITY (or a file named
by MYSAFE_IDENTITY_FILE) to open the vault without the passphrase and without
its scrypt cost, for example in a CI secret store. Anyone holding it can read
every record: treat it like the passphrase.`,
		Example: "  mysafe identity export > ci-identity.txt",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return identityExportRun(opts)
		},
	}
	return cmd
}

func identityExportRun(o *IdentityExportOptions) error {
	f := o.F
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	defer v.Close()
	if f.IO.StdoutTTY {
		f.notice("This key opens your vault without the passphrase. Keep it secret.")
	}
	_, err = fmt.Fprintln(f.IO.Out, v.Identity())
	return err
}
