package cli

import (
	"github.com/spf13/cobra"
)

// RotateKeysOptions are the inputs of `mysafe rotate-keys`.
type RotateKeysOptions struct {
	F *Factory
}

// NewCmdRotateKeys builds `mysafe rotate-keys`.
func NewCmdRotateKeys(f *Factory) *cobra.Command {
	opts := &RotateKeysOptions{F: f}
	cmd := &cobra.Command{
		Use:   "rotate-keys",
		Short: "Replace the vault's keys and re-encrypt every record",
		Long: `Replace the vault identity and the data key, and re-encrypt every record,
blob and index page with keys derived from the new ones, in one step: a
crash leaves the old vault or the new one. Use it when an exported identity
may have leaked. Identities exported before stop working.

The new identity is sealed with the current passphrase, so rotate-keys
unlocks with the passphrase (asked at the terminal, or from
MYSAFE_PASSPHRASE_FILE / MYSAFE_PASSPHRASE), never with an identity. To
change the passphrase at the same time, use ` + "`mysafe passwd --rotate`" + `.`,
		Example: "  mysafe rotate-keys",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return rotateKeysRun(opts)
		},
	}
	return cmd
}

func rotateKeysRun(o *RotateKeysOptions) error {
	f := o.F
	pass, err := f.passphraseFromEnv()
	if err != nil {
		return err
	}
	if pass == nil && !f.IO.CanPrompt() {
		return withHint(errLocked, errNoUnlockSource, "set MYSAFE_PASSPHRASE_FILE or MYSAFE_PASSPHRASE; an identity cannot seal the new keys")
	}
	v, err := f.OpenLocked()
	if err != nil {
		return err
	}
	defer v.Close()
	if pass == nil {
		if pass, err = f.Prompter.Secret("Passphrase for " + v.Path() + ": "); err != nil {
			return err
		}
	}
	if err := lockedErr(v.UnlockWithPassphrase(pass), "the passphrase"); err != nil {
		return err
	}
	if err := v.RotateKeys(pass, f.ScryptWorkFactor); err != nil {
		return err
	}
	f.chatter("Keys rotated. " + rotatedNote)
	f.lockAgent()
	return nil
}
