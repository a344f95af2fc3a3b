package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// Contact is one entry of the address book, kept sealed in the vault.
type Contact struct {
	Name    string    `json:"name"`
	Key     string    `json:"key"`
	Kind    string    `json:"kind"`
	Signing string    `json:"signing,omitempty"` // their signing key, learnt from a verified bundle
	AddedAt time.Time `json:"added_at"`
}

const blobContacts = "contacts"

func loadContacts(tx *vault.Tx) ([]Contact, error) {
	var cs []Contact
	_, err := tx.GetJSON(blobContacts, &cs)
	return cs, err
}

func findContact(cs []Contact, name string) (int, bool) {
	i := slices.IndexFunc(cs, func(c Contact) bool { return strings.EqualFold(c.Name, name) })
	return i, i >= 0
}

func validateContactName(name string) error {
	if name == "" || len(name) > 64 || strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == ',' }) >= 0 || strings.HasPrefix(name, "age1") || strings.HasPrefix(name, "ssh-") {
		return usageErr(fmt.Sprintf("invalid contact name %q: one word, no spaces or commas, not a key", name))
	}
	return nil
}

// NewCmdContact builds `mysafe contact` and its subcommands.
func NewCmdContact(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "contact",
		Short:   "Manage the people you share API secrets with",
		Example: "  mysafe contact add bob age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n  mysafe contact list",
		Args:    exactArgs(0, "a subcommand (add, list, rm)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErr("say what to do: `mysafe contact add|list|rm`")
		},
	}
	var keyFile string
	add := &cobra.Command{
		Use:   "add NAME [KEY]",
		Short: "Add a contact with their public key",
		Long: `Add a contact. KEY is an age key (age1...), an age post-quantum key
(age1pq1...), or an SSH ssh-ed25519 / ssh-rsa public key; with -F it is read
from a file (an authorized_keys line or a .pub file is fine).`,
		Example: "  mysafe contact add bob age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n  mysafe contact add carol -F ~/carol_id_ed25519.pub",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 || (len(args) == 2) == (keyFile != "") {
				return usageErr("mysafe contact add takes NAME and either KEY or -F FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			key := ""
			if keyFile != "" {
				b, err := os.ReadFile(keyFile)
				if err != nil {
					return &exitError{class: errNotFound, err: err}
				}
				key = firstKeyLine(string(b))
			} else {
				key = args[1]
			}
			return contactAdd(f, args[0], key)
		},
	}
	add.Flags().StringVarP(&keyFile, "file", "F", "", "read the key from `FILE`")
	var asJSON bool
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List your contacts",
		Example: "  mysafe contact list",
		Args:    exactArgs(0, "no arguments"),
		RunE:    func(cmd *cobra.Command, args []string) error { return contactList(f, asJSON) },
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	rm := &cobra.Command{
		Use:     "rm NAME",
		Short:   "Remove a contact",
		Example: "  mysafe contact rm bob",
		Args:    exactArgs(1, "one NAME"),
		RunE:    func(cmd *cobra.Command, args []string) error { return contactRm(f, args[0]) },
	}
	cmd.AddCommand(add, list, rm)
	return cmd
}

// firstKeyLine returns the first non-empty, non-comment line of a key file.
func firstKeyLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return line
		}
	}
	return ""
}

func contactAdd(f *Factory, name, key string) error {
	if err := validateContactName(name); err != nil {
		return err
	}
	r, err := share.ParseRecipient(key)
	if err != nil {
		return usageErr(err.Error())
	}
	err = f.Update(func(tx *vault.Tx) error {
		cs, err := loadContacts(tx)
		if err != nil {
			return err
		}
		if i, ok := findContact(cs, name); ok {
			return withHint(errConflict, fmt.Errorf("contact %q already exists", cs[i].Name), "remove it first with `mysafe contact rm "+cs[i].Name+"`")
		}
		for _, c := range cs {
			if c.Key == r.Key() {
				return withHint(errConflict, fmt.Errorf("that key already belongs to contact %q", c.Name), "")
			}
		}
		cs = append(cs, Contact{Name: name, Key: r.Key(), Kind: string(r.Kind()), AddedAt: tx.Now()})
		slices.SortFunc(cs, func(a, b Contact) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
		return tx.PutJSON(blobContacts, cs)
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(f.IO.Out, display.Safe(fmt.Sprintf("Contact added: %s (%s, %s)", name, r.Kind(), r.Fingerprint())))
	return nil
}

func contactList(f *Factory, asJSON bool) error {
	var cs []Contact
	if err := f.View(func(tx *vault.Tx) (err error) { cs, err = loadContacts(tx); return err }); err != nil {
		return err
	}
	if asJSON {
		if cs == nil {
			cs = []Contact{}
		}
		return writeJSON(f.IO.Out, cs)
	}
	rows := [][]string{{"NAME", "KIND", "KEY"}}
	for _, c := range cs {
		rows = append(rows, []string{c.Name, c.Kind, c.Key})
	}
	return writeAligned(f.IO.Out, rows)
}

func contactRm(f *Factory, name string) error {
	var removed Contact
	err := f.Update(func(tx *vault.Tx) error {
		cs, err := loadContacts(tx)
		if err != nil {
			return err
		}
		i, ok := findContact(cs, name)
		if !ok {
			return &exitError{class: errNotFound, msg: fmt.Sprintf("no contact named %q", name), hint: "see `mysafe contact list`"}
		}
		removed = cs[i]
		return tx.PutJSON(blobContacts, slices.Delete(cs, i, i+1))
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(f.IO.Out, "Contact removed: "+display.Safe(removed.Name))
	return nil
}
