package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdContact builds `mysafe contact` and its subcommands.
func NewCmdContact(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "contact",
		Short:   "Manage the people you share API secrets with",
		Example: "  mysafe contact add bob \"$(cat bob.card)\"\n  mysafe contact add carol -F carol_id_ed25519.pub\n  mysafe contact list",
		Args:    subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErr("say what to do: `mysafe contact add|list|rm`")
		},
	}
	cmd.AddCommand(NewCmdContactAdd(f), NewCmdContactList(f), NewCmdContactRm(f))
	return cmd
}
