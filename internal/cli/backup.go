package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/vault"
)

// BackupOptions are the inputs of `mysafe backup`.
type BackupOptions struct {
	F    *Factory
	File string
}

// NewCmdBackup builds `mysafe backup`.
func NewCmdBackup(f *Factory) *cobra.Command {
	opts := &BackupOptions{F: f}
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the vault",
		Long: `Write a consistent copy of the vault to FILE (mode 0600), while other mysafe
processes keep using it. FILE must not exist. The copy is as protected as
the vault: the same passphrase and identity open it.

To restore, stop using mysafe, copy FILE over the vault file, and run
` + "`mysafe check --accept-rollback`" + `: mysafe remembers the newest version of the
vault it has seen and refuses an older one until you accept it.`,
		Example: "  mysafe backup ~/backups/vault-$(date +%F).db",
		Args:    exactArgs(1, "the backup file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return backupRun(opts)
		},
	}
	return cmd
}

func backupRun(o *BackupOptions) error {
	v, err := o.F.OpenVault(true)
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Backup(o.File); err != nil {
		if errors.Is(err, vault.ErrConflict) {
			return withHint(errConflict, fmt.Errorf("%s already exists", o.File), "choose another file; a backup never overwrites one")
		}
		return err
	}
	o.F.chatter("Backup written to %s.", o.File)
	return nil
}
