package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdTeam builds `mysafe team` and its subcommands.
func NewCmdTeam(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "team",
		Short: "Keep shared API secrets in sync with a team through a git repository",
		Long: `A team shares API secrets through a git repository that anyone on the team
can push to: a bare folder on a shared drive, or any SSH or HTTPS remote.
The repository holds the members' contact cards and one signed, encrypted
file per revision of each shared API secret; it never holds a vault.
Nothing in it is trusted for being there: you pin each member's card
yourself, and every revision must carry its owner's signature.
See ` + "`mysafe sync`" + ` and docs/teams.md.`,
		Example: "  mysafe team init /srv/shared/payments-team.git\n  mysafe team join git@git.example.com:ops/secrets.git\n  mysafe team add-member bob \"$(cat bob.card)\"\n  mysafe team remove-member bob",
		Args:    exactArgs(0, "a subcommand (init, join, add-member, remove-member, members)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErr("say what to do: `mysafe team init|join|add-member|remove-member|members`")
		},
	}
	cmd.AddCommand(NewCmdTeamInit(f, false), NewCmdTeamInit(f, true), NewCmdTeamAddMember(f), NewCmdTeamRemoveMember(f), NewCmdTeamMembers(f))
	return cmd
}
