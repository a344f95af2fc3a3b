package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/agent"
	"github.com/mysafe/mysafe/internal/config"
)

// UnlockOptions are the inputs of `mysafe unlock`.
type UnlockOptions struct {
	F       *Factory
	Timeout string
}

// NewCmdUnlock builds `mysafe unlock`.
func NewCmdUnlock(f *Factory) *cobra.Command {
	opts := &UnlockOptions{F: f}
	cmd := &cobra.Command{
		Use:   "unlock",
		Short: "Keep the vault unlocked for a while, so commands stop asking",
		Long: `Unlock the vault once and keep it unlocked in a small background agent:
the commands that follow use it without asking for the passphrase and
without its cost. The agent forgets after --timeout without use (default
15m, at most 24h), at ` + "`mysafe lock`" + `, or when the machine restarts. Run
again while unlocked, it only sets the new timeout.

The agent holds the vault's key in memory only, answers only this user
(checked on its socket), and cannot be dumped by other processes. Anything
running as this user while the vault is unlocked can read the vault, as it
could by asking for the passphrase.`,
		Example: "  mysafe unlock\n  mysafe unlock --timeout 1h\n  mysafe lock",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return unlockRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Timeout, "timeout", agent.DefaultTimeout.String(), "forget the key after this long without use (e.g. 15m, 1h; at most 24h)")
	return cmd
}

func unlockRun(o *UnlockOptions) error {
	f := o.F
	timeout, err := config.ParseDuration(o.Timeout)
	if err == nil {
		err = agent.ParseTimeout(timeout)
	}
	if err != nil {
		return usageErr("--timeout: " + err.Error())
	}
	c, err := f.agentClient(f.Config().VaultPath)
	if err != nil {
		return err
	}
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	id, path := v.Identity(), v.Path()
	v.Close()
	command := f.AgentCommand
	if command == nil {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot find the mysafe program to start the agent: %w", err)
		}
		command = []string{exe, agent.HelperArg}
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	st, err := c.Start(command, path, id, timeout)
	if err != nil {
		return agentErr(err)
	}
	f.chatter("Vault unlocked until %s (after %s without use); `mysafe lock` locks it now", clock(st.ExpiresAt), shortDuration(st.IdleTimeout))
	return nil
}
