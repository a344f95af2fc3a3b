package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/vault"
)

// HistoryPruneOptions are the inputs of `mysafe history prune`.
type HistoryPruneOptions struct {
	F   *Factory
	Ref string
	Yes bool
}

// NewCmdHistoryPrune builds `mysafe history prune`.
func NewCmdHistoryPrune(f *Factory) *cobra.Command {
	opts := &HistoryPruneOptions{F: f}
	cmd := &cobra.Command{
		Use:   "prune REF",
		Short: "Erase the earlier versions of an API secret",
		Long: `Erase every earlier version of an API secret, keeping the current one: no
byte of them stays in the vault file. At a terminal mysafe asks to confirm;
without one, --yes is required.`,
		Example: "  mysafe history prune payments-prod --yes",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return historyPruneRun(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask to confirm")
	return cmd
}

func historyPruneRun(o *HistoryPruneOptions) error {
	f := o.F
	v, r, err := openFind(f, o.Ref)
	if err != nil {
		return err
	}
	defer v.Close()
	if !o.Yes && !f.IO.CanPrompt() {
		return usageErr("refusing to erase versions without confirmation: no terminal to ask; add --yes")
	}
	if !o.Yes {
		ok, err := f.Prompter.Confirm(fmt.Sprintf("Erase the earlier versions of %s?", describe(r)))
		if err != nil {
			return err
		}
		if !ok {
			return &exitError{class: errUsage, msg: "not erased"}
		}
	}
	if err := v.Reopen(false); err != nil {
		return err
	}
	n := 0
	err = v.Update(func(tx *vault.Tx) (err error) {
		if n, err = tx.PruneHistory(r.ID); err != nil || n == 0 {
			return err
		}
		return tx.Log(logEntry(audit.Prune, r, fmt.Sprintf("%d versions", n)))
	})
	if err != nil {
		return err
	}
	f.chatter("%s: erased %d earlier version(s)", describe(r), n)
	return nil
}
