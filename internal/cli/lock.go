package cli

import (
	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/agent"
)

// LockOptions are the inputs of `mysafe lock`.
type LockOptions struct {
	F *Factory
}

// NewCmdLock builds `mysafe lock`.
func NewCmdLock(f *Factory) *cobra.Command {
	opts := &LockOptions{F: f}
	return &cobra.Command{
		Use:   "lock",
		Short: "Make the agent of `mysafe unlock` forget the vault's key now",
		Long: `Lock the vault: the agent started by ` + "`mysafe unlock`" + ` forgets the vault's key
and exits. Locking a vault that is not unlocked is not an error.`,
		Example: "  mysafe lock",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return lockRun(opts)
		},
	}
}

func lockRun(o *LockOptions) error {
	f := o.F
	was, err := agent.LockAll(f.Getenv, f.Config().VaultPath)
	if err != nil {
		return agentErr(err)
	}
	if was {
		f.chatter("Vault locked")
	} else {
		f.chatter("Vault was not unlocked")
	}
	return nil
}
