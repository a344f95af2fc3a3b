package cli

import (
	"github.com/spf13/cobra"
)

// RevokeOptions are the inputs of `mysafe revoke`.
type RevokeOptions struct {
	F    *Factory
	Ref  string
	From string
}

// NewCmdRevoke builds `mysafe revoke`.
func NewCmdRevoke(f *Factory) *cobra.Command {
	opts := &RevokeOptions{F: f}
	cmd := &cobra.Command{
		Use:   "revoke REF --from NAME",
		Short: "Record that a person's access to an API secret you shared was withdrawn",
		Long: `Mark NAME's access to an API secret you own as revoked: ` + "`mysafe show`" + ` lists it
with the time, and a bundle NAME sends later with changes to it is refused.
It cannot take back a copy already shared: rotate the secret at the API
provider too, store the new one and share it again with the people who keep
access.`,
		Example: "  mysafe revoke payments-prod --from bob",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if opts.From == "" {
				return usageErr("use: mysafe revoke REF --from NAME")
			}
			return revokeRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "the contact (name or key) whose access is withdrawn")
	return cmd
}

func revokeRun(o *RevokeOptions) error { return revokeAccess(o.F, o.Ref, o.From) }
