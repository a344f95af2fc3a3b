package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/term"
)

// PasswdOptions are the inputs of `mysafe passwd`.
type PasswdOptions struct {
	F              *Factory
	PassphraseFile string
	Rotate         bool
}

// NewCmdPasswd builds `mysafe passwd`.
func NewCmdPasswd(f *Factory) *cobra.Command {
	opts := &PasswdOptions{F: f}
	cmd := &cobra.Command{
		Use:   "passwd",
		Short: "Change the vault's passphrase",
		Long: `Change the passphrase. The vault is unlocked as usual (current passphrase
or identity); the new passphrase is asked twice at the terminal, or read from
--new-passphrase-file. Records are not re-encrypted, and an exported identity
keeps working. The identity sealed under the old passphrase is erased from
the file; a passwd that fails leaves the old passphrase working.

--rotate also replaces the vault's keys, as ` + "`mysafe rotate-keys`" + ` does: every
record is re-encrypted and identities exported before stop working.`,
		Example: "  mysafe passwd\n  mysafe passwd --new-passphrase-file ./new-pass.txt\n  mysafe passwd --rotate",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return passwdRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.PassphraseFile, "new-passphrase-file", "", "read the new passphrase from `FILE`")
	cmd.Flags().BoolVar(&opts.Rotate, "rotate", false, "also replace the vault identity and data key, re-encrypting every record")
	return cmd
}

func passwdRun(o *PasswdOptions) error {
	f := o.F
	var pass []byte
	if o.PassphraseFile != "" {
		fh, err := openInputFile(o.PassphraseFile, "new passphrase file", "give a regular file (mode 0600)")
		if err != nil {
			return err
		}
		pass, err = term.ReadSecretLine(fh, 4096)
		fh.Close()
		if err != nil {
			return usageErr("new passphrase file: " + err.Error())
		}
		if len(pass) == 0 {
			return usageErr("new passphrase file is empty")
		}
	} else if !f.IO.CanPrompt() {
		return usageErr("no terminal to ask for the new passphrase; use --new-passphrase-file")
	}
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	defer v.Close()
	if pass == nil {
		if pass, err = f.Prompter.NewSecret("New passphrase: ", "Repeat new passphrase: "); err != nil {
			if errors.Is(err, term.ErrNoTerminal) {
				return err
			}
			return usageErr(err.Error())
		}
	}
	if o.Rotate {
		if err := v.RotateKeys(pass, f.ScryptWorkFactor); err != nil {
			return err
		}
		f.chatter("Passphrase changed and keys rotated. " + rotatedNote)
		f.lockAgent()
		return nil
	}
	if err := v.ChangePassphrase(pass, f.ScryptWorkFactor); err != nil {
		return err
	}
	f.chatter("Passphrase changed.")
	return nil
}
