package cli

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// ContactAddOptions are the inputs of `mysafe contact add`.
type ContactAddOptions struct {
	F       *Factory
	Name    string
	Key     string // the card or key given as an argument
	KeyFile string // -F: read it from this file instead
}

// ContactListOptions are the inputs of `mysafe contact list`.
type ContactListOptions struct {
	F    *Factory
	JSON bool
}

// ContactRmOptions are the inputs of `mysafe contact rm`.
type ContactRmOptions struct {
	F    *Factory
	Name string
}

// NewCmdContact builds `mysafe contact` and its subcommands.
func NewCmdContact(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "contact",
		Short:   "Manage the people you share API secrets with",
		Example: "  mysafe contact add bob \"$(cat bob.card)\"\n  mysafe contact add carol -F carol_id_ed25519.pub\n  mysafe contact list",
		Args:    subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErr("say what to do: `mysafe contact add|list|rm`")
		},
	}
	addOpts := &ContactAddOptions{F: f}
	add := &cobra.Command{
		Use:   "add NAME [CARD|KEY]",
		Short: "Add a contact with their contact card or public key",
		Long: `Add a contact. CARD is the line ` + "`mysafe key`" + ` prints on their side
(mysafe-card-1 ...): it holds their sharing keys and the signing key that
signs their bundles, so their bundles are verified from the first one.
For people who do not use mysafe, give a public key instead: an age key
(age1...), an age post-quantum key (age1pq1...), or an SSH ssh-ed25519 /
ssh-rsa public key. With -F the card or key is read from a file (an
authorized_keys line or a .pub file is fine).`,
		Example: "  mysafe contact add bob -F bob.card\n  mysafe contact add carol -F ~/carol_id_ed25519.pub\n  mysafe contact add dave age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 || (len(args) == 2) == (addOpts.KeyFile != "") {
				return usageErr("contact add takes NAME and either CARD, KEY or -F FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			addOpts.Name = args[0]
			if len(args) == 2 {
				addOpts.Key = args[1]
			}
			return contactAddRun(addOpts)
		},
	}
	add.Flags().StringVarP(&addOpts.KeyFile, "file", "F", "", "read the card or key from `FILE`")
	listOpts := &ContactListOptions{F: f}
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List your contacts",
		Example: "  mysafe contact list",
		Args:    exactArgs(0, "no arguments"),
		RunE:    func(cmd *cobra.Command, args []string) error { return contactListRun(listOpts) },
	}
	list.Flags().BoolVar(&listOpts.JSON, "json", false, "print a JSON array")
	rmOpts := &ContactRmOptions{F: f}
	rm := &cobra.Command{
		Use:     "rm NAME",
		Short:   "Remove a contact",
		Example: "  mysafe contact rm bob",
		Args:    exactArgs(1, "one NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rmOpts.Name = args[0]
			return contactRmRun(rmOpts)
		},
	}
	cmd.AddCommand(add, list, rm)
	return cmd
}

// parseContact reads a card or a plain key.
func parseContact(name, key string) (share.Contact, error) {
	if share.LooksLikeCard(key) {
		card, err := share.ParseCard(key)
		if err != nil {
			return share.Contact{}, usageErr(err.Error())
		}
		return share.ContactFromCard(name, card, time.Time{}), nil
	}
	r, err := share.ParseRecipient(key)
	if err != nil {
		return share.Contact{}, usageErr(err.Error())
	}
	return share.ContactFromKey(name, r, time.Time{}), nil
}

func contactAddRun(o *ContactAddOptions) error {
	f, name, key := o.F, o.Name, o.Key
	if o.KeyFile != "" {
		b, err := readInputFile(o.KeyFile, "card or key file", maxCardFileLen)
		if err != nil {
			return err
		}
		key = firstKeyLine(string(b))
	}
	if err := validateContactName(name); err != nil {
		return err
	}
	c, err := parseContact(name, key)
	if err != nil {
		return err
	}
	err = f.Update(func(tx *vault.Tx) error {
		pub, err := tx.PublicKeys()
		if err != nil {
			return err
		}
		if slices.ContainsFunc([]string{pub.Sharing, pub.SharingPQ}, c.HasKey) || (c.Signing != "" && c.Signing == pub.Signing) {
			return usageErr("that is your own card or key; give the other person's")
		}
		cs, err := loadContacts(tx)
		if err != nil {
			return err
		}
		c.AddedAt = tx.Now()
		if cs, err = share.AddContact(cs, c); err != nil {
			if errors.Is(err, share.ErrContactConflict) {
				return withHint(errConflict, err, "see `mysafe contact list`; remove a contact with `mysafe contact rm NAME`")
			}
			return err
		}
		return tx.PutJSON(blobContacts, cs)
	})
	if err != nil {
		return err
	}
	if c.Card {
		f.chatter("Contact added: %s (card, signing key %s)", name, fingerprintOrKey(c.Signing))
		f.chatter("Check that fingerprint with %s: on their side, `mysafe key --signing | ssh-keygen -lf -` prints it.", name)
		return nil
	}
	r, _ := share.ParseRecipient(c.Key)
	f.chatter("Contact added: %s (%s, %s)", name, r.Kind(), r.Fingerprint())
	return nil
}

func fingerprintOrKey(signing string) string {
	if _, fp, err := share.ParseSigningKey(signing); err == nil {
		return fp
	}
	return signing
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
