package cli

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// ContactRmOptions are the inputs of `mysafe contact rm`.
type ContactRmOptions struct {
	F    *Factory
	Name string
}

// NewCmdContactRm builds `mysafe contact rm`.
func NewCmdContactRm(f *Factory) *cobra.Command {
	opts := &ContactRmOptions{F: f}
	cmd := &cobra.Command{
		Use:     "rm NAME",
		Short:   "Remove a contact",
		Example: "  mysafe contact rm bob",
		Args:    exactArgs(1, "one NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return contactRmRun(opts)
		},
	}
	return cmd
}

func contactRmRun(o *ContactRmOptions) error {
	f, name := o.F, o.Name
	var removed share.Contact
	err := f.Update(func(tx *vault.Tx) error {
		cs, err := loadContacts(tx)
		if err != nil {
			return err
		}
		i, ok := share.FindContact(cs, name)
		if !ok {
			return &exitError{class: errNotFound, msg: fmt.Sprintf("no contact named %q", name), hint: "see `mysafe contact list`"}
		}
		removed = cs[i]
		return tx.PutJSON(blobContacts, slices.Delete(cs, i, i+1))
	})
	if err != nil {
		return err
	}
	f.chatter("Contact removed: %s", removed.Name)
	return nil
}
