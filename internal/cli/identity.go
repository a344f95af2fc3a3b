package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdIdentity builds `mysafe identity` and its subcommand.
func NewCmdIdentity(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "identity",
		Short:   "Manage the vault identity used to unlock without a passphrase",
		Example: "  mysafe identity export > ci-identity.txt",
		Args:    subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErr("say what to do: `mysafe identity export`")
		},
	}
	cmd.AddCommand(NewCmdIdentityExport(f))
	return cmd
}
