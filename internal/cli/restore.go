package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// RestoreOptions are the inputs of `mysafe restore`.
type RestoreOptions struct {
	F       *Factory
	Ref     string
	Version int
}

// NewCmdRestore builds `mysafe restore`.
func NewCmdRestore(f *Factory) *cobra.Command {
	opts := &RestoreOptions{F: f}
	cmd := &cobra.Command{
		Use:   "restore REF --version N",
		Short: "Make an earlier version of an API secret current again",
		Long: `Make an earlier version of an API secret current again: its fields, client
secret included, become the API secret's, as a new version (the version it
replaces is kept too). The version numbers are those of ` + "`mysafe history`" + `.
An API secret shared with you with view permission cannot be restored.`,
		Example: "  mysafe history payments-prod\n  mysafe restore payments-prod --version 3",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if !cmd.Flags().Changed("version") {
				return usageErr("which version? give --version N (see `mysafe history " + opts.Ref + "`)")
			}
			return restoreRun(opts)
		},
	}
	cmd.Flags().IntVar(&opts.Version, "version", 0, "the version to restore (see `mysafe history`)")
	return cmd
}

func restoreRun(o *RestoreOptions) error {
	if o.Version < 1 {
		return usageErr("--version: versions are numbered from 1 (see `mysafe history`)")
	}
	var r *secret.Record
	var made int
	err := o.F.Update(func(tx *vault.Tx) (err error) {
		if r, err = findEditable(tx, o.Ref, "restore"); err != nil {
			return err
		}
		old, err := tx.Version(r.ID, o.Version)
		if err != nil {
			return versionErr(err, o.Ref)
		}
		if len(old.ChangedFields(r)) == 0 {
			return errUnchanged
		}
		r.SetContent(old)
		if err := r.Normalize(); err != nil {
			return err
		}
		touch(r, tx)
		tx.SetChange(vault.Change{Note: fmt.Sprintf("restore of version %d", o.Version)})
		if err := tx.Put(r); err != nil {
			return err
		}
		h, err := tx.History(r.ID)
		if err != nil {
			return err
		}
		made = h[len(h)-1].N
		return tx.Log(logEntry(audit.Restore, r, fmt.Sprintf("version %d as version %d", o.Version, made)))
	})
	if err != nil {
		return conflictHint(err)
	}
	if made == 0 {
		o.F.notice("mysafe: note: %s already has the content of version %d: nothing restored", describe(r), o.Version)
		return nil
	}
	o.F.chatter("API secret restored: %s, version %d as version %d", describe(r), o.Version, made)
	return nil
}
