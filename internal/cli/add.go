package cli

import "github.com/spf13/cobra"

// NewCmdAdd builds `mysafe add` and its `api-secret` subcommand.
func NewCmdAdd(f *Factory) *cobra.Command {
	add := &cobra.Command{
		Use:     "add",
		Short:   "Add an item to the vault",
		Example: "  mysafe add api-secret --name payments --url https://api.pay.example --client-id app-1 --client-secret-stdin < secret.txt",
		Args:    exactArgs(0, "a kind of item (api-secret)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErr("say what to add: `mysafe add api-secret`")
		},
	}
	add.AddCommand(NewCmdAddAPISecret(f))
	return add
}
