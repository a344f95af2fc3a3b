package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// SyncOptions are the inputs of `mysafe sync`.
type SyncOptions struct {
	F *Factory
	syncMode
}

// NewCmdSync builds `mysafe sync`.
func NewCmdSync(f *Factory) *cobra.Command {
	opts := &SyncOptions{F: f}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Exchange API secrets with the team through its git repository",
		Long: `Fetch the team repository, import every revision addressed to you whose
owner's signature verifies against the card you pinned, publish your own
changes (and editors' changes to API secrets you own, signed again by you
as owner), commit and push. A push the remote rejects because someone else
pushed first is fetched, rebased and tried again.

Files that are forged, renamed, from a removed member or otherwise wrong
are refused and reported (exit 4) and nothing of them is stored. A remote
whose history no longer holds the commit you last synced was rewound:
sync stops and changes nothing (exit 4) unless you accept it with
--accept-rewind. A record changed here and by its owner stops the import of
that revision (exit 5) until you choose with --resolve.

--dry-run fetches and says what sync would do, and changes nothing else.
--json prints a JSON object (see docs/teams.md).`,
		Example: "  mysafe sync\n  mysafe sync --dry-run\n  mysafe sync --json\n  mysafe sync --resolve theirs",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch strings.ToLower(opts.Resolve) {
			case "", "theirs", "mine":
			default:
				return usageErr(fmt.Sprintf("invalid --resolve %q: theirs or mine", opts.Resolve))
			}
			return syncRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&opts.DryRun, "dry-run", "n", false, "say what would happen; change nothing but the fetched copy")
	fl.BoolVar(&opts.JSON, "json", false, "print a JSON object")
	fl.StringVar(&opts.Resolve, "resolve", "", "for records changed both here and by the team: theirs or mine")
	fl.BoolVar(&opts.AcceptRewind, "accept-rewind", false, "accept a remote whose history was rewritten (the revisions you accepted stay)")
	return cmd
}

func syncRun(o *SyncOptions) error {
	v, err := o.F.OpenVault(false)
	if err != nil {
		return err
	}
	defer v.Close()
	return syncWith(o.F, v, o.syncMode)
}
