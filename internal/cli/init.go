package cli

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// InitOptions are the inputs of `mysafe init`.
type InitOptions struct {
	F     *Factory
	Owner string
}

// NewCmdInit builds `mysafe init`.
func NewCmdInit(f *Factory) *cobra.Command {
	opts := &InitOptions{F: f}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a new vault and its keys",
		Long: `Create a new vault protected by a passphrase, asked twice at the terminal.
Without a terminal the passphrase comes from MYSAFE_PASSPHRASE_FILE or
MYSAFE_PASSPHRASE. Prints your public key on stdout: give it to people who
want to share secrets with you.`,
		Example: "  mysafe init --owner alice",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return initRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Owner, "owner", "", "your name, shown as the owner of your API secrets (default: your login name)")
	return cmd
}

func initRun(o *InitOptions) error {
	f := o.F
	owner := strings.TrimSpace(o.Owner)
	if owner == "" {
		owner = defaultOwner(f)
	}
	if err := secret.ValidateOwner(owner); err != nil {
		return err
	}
	path := f.Config().VaultPath
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageErr(path + " is a directory; give --vault a file path")
	} else if err == nil {
		return withHint(errConflict, fmt.Errorf("a vault already exists at %s", path), "use --vault to create another one elsewhere")
	}
	pass, err := f.passphraseFromEnv()
	if err != nil {
		return err
	}
	if pass == nil {
		if !f.IO.CanPrompt() {
			return withHint(errLocked, errors.New("no terminal to ask for a new passphrase"), "set MYSAFE_PASSPHRASE_FILE or MYSAFE_PASSPHRASE")
		}
		pass, err = f.Prompter.NewSecret("New passphrase: ", "Repeat passphrase: ")
		if err != nil {
			return withHint(errUsage, err, "")
		}
	}
	v, err := vault.Create(path, vault.CreateOptions{
		Options:          f.vaultOptions(false),
		Owner:            owner,
		Passphrase:       pass,
		ScryptWorkFactor: f.ScryptWorkFactor,
	})
	if err != nil {
		return err
	}
	defer v.Close()
	var card string
	err = v.View(func(tx *vault.Tx) error {
		s, err := readSharing(tx)
		if err != nil {
			return err
		}
		card, err = s.card()
		return err
	})
	if err != nil {
		return err
	}
	f.chatter("Vault created at %s for %s.", path, owner)
	f.chatter("Your contact card, for people who share API secrets with you (`mysafe key` prints it again):")
	fmt.Fprintln(f.IO.Out, card)
	return nil
}

func defaultOwner(f *Factory) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if s := f.Getenv("USER"); s != "" {
		return s
	}
	return "me"
}
