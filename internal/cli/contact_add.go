package cli

import (
	"errors"
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

// NewCmdContactAdd builds `mysafe contact add`.
func NewCmdContactAdd(f *Factory) *cobra.Command {
	opts := &ContactAddOptions{F: f}
	cmd := &cobra.Command{
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
			if len(args) < 1 || len(args) > 2 || (len(args) == 2) == (opts.KeyFile != "") {
				return usageErr("contact add takes NAME and either CARD, KEY or -F FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if len(args) == 2 {
				opts.Key = args[1]
			}
			return contactAddRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.KeyFile, "file", "F", "", "read the card or key from `FILE`")
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
