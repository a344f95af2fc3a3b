package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// RmOptions are the inputs of `mysafe rm`.
type RmOptions struct {
	F     *Factory
	Ref   string
	Yes   bool
	Force bool
}

// NewCmdRm builds `mysafe rm`.
func NewCmdRm(f *Factory) *cobra.Command {
	opts := &RmOptions{F: f}
	cmd := &cobra.Command{
		Use:     "rm REF",
		Aliases: []string{"remove", "delete"},
		Short:   "Remove an API secret",
		Long: `Remove an API secret. At a terminal mysafe asks to confirm; without one,
--yes is required. An API secret shared with you with view permission is
kept unless --force is given.`,
		Example: "  mysafe rm payments-old\n  mysafe rm payments-old --yes",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return rmRun(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask to confirm")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "also remove an API secret shared with you with view permission")
	return cmd
}

func rmRun(o *RmOptions) error {
	f := o.F
	// One unlock for the lookup and the removal; only a shared lock while
	// the person decides, so other mysafe processes are not kept waiting.
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	defer v.Close()
	var r *secret.Record
	if err := v.View(func(tx *vault.Tx) (err error) {
		r, err = tx.Find(o.Ref)
		return err
	}); err != nil {
		return err
	}
	// Checked once the record is found, so an unknown REF says so (exit 3)
	// whether or not there is someone to ask.
	if !o.Yes && !f.IO.CanPrompt() {
		return usageErr("refusing to remove without confirmation: no terminal to ask; add --yes")
	}
	if !o.Force {
		if err := requireEdit(r, "remove"); err != nil {
			return withHint(errNotPermitted, err, "--force removes your copy")
		}
	}
	if !o.Yes {
		ok, err := f.Prompter.Confirm(fmt.Sprintf("Remove %s?", describe(r)))
		if err != nil {
			return err
		}
		if !ok {
			return &exitError{class: errUsage, msg: "not removed"}
		}
	}
	if err := v.Reopen(false); err != nil {
		return err
	}
	if err := v.Update(func(tx *vault.Tx) error {
		if err := tx.Delete(r.ID); err != nil {
			return err
		}
		return tx.Log(logEntry(audit.Remove, r, ""))
	}); err != nil {
		return err
	}
	f.chatter("API secret removed: %s", describe(r))
	return nil
}
