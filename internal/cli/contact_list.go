package cli

import (
	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// ContactListOptions are the inputs of `mysafe contact list`.
type ContactListOptions struct {
	F    *Factory
	JSON bool
}

// NewCmdContactList builds `mysafe contact list`.
func NewCmdContactList(f *Factory) *cobra.Command {
	opts := &ContactListOptions{F: f}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List your contacts",
		Example: "  mysafe contact list",
		Args:    exactArgs(0, "no arguments"),
		RunE:    func(cmd *cobra.Command, args []string) error { return contactListRun(opts) },
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	return cmd
}

func contactListRun(o *ContactListOptions) error {
	f, asJSON := o.F, o.JSON
	var cs []share.Contact
	if err := f.View(func(tx *vault.Tx) (err error) { cs, err = loadContacts(tx); return err }); err != nil {
		return err
	}
	if asJSON {
		if cs == nil {
			cs = []share.Contact{}
		}
		return writeJSON(f.IO.Out, cs)
	}
	rows := [][]string{{"NAME", "KIND", "KEY", "SIGNING"}}
	for _, c := range cs {
		kind := c.Kind
		if c.Card {
			kind = "card"
		}
		signing := "-"
		if c.Signing != "" {
			signing = fingerprintOrKey(c.Signing)
		}
		rows = append(rows, []string{c.Name, kind, c.Key, signing})
	}
	return writeAligned(f.IO.Out, rows)
}
