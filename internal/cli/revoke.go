package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// RevokeOptions are the inputs of `mysafe revoke`.
type RevokeOptions struct {
	F    *Factory
	Ref  string
	From string
}

// NewCmdRevoke builds `mysafe revoke`.
func NewCmdRevoke(f *Factory) *cobra.Command {
	opts := &RevokeOptions{F: f}
	cmd := &cobra.Command{
		Use:   "revoke REF --from NAME",
		Short: "Record that a person's access to an API secret you shared was withdrawn",
		Long: `Mark NAME's access to an API secret you own as revoked: ` + "`mysafe show`" + ` lists it
with the time, and a bundle NAME sends later with changes to it is refused.
It cannot take back a copy already shared: rotate the secret at the API
provider too, store the new one and share it again with the people who keep
access.`,
		Example: "  mysafe revoke payments-prod --from bob",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if opts.From == "" {
				return usageErr("use: mysafe revoke REF --from NAME")
			}
			return revokeRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "the contact (name or key) whose access is withdrawn")
	return cmd
}

func revokeRun(o *RevokeOptions) error {
	f := o.F
	v, err := f.OpenVault(false)
	if err != nil {
		return err
	}
	defer v.Close()
	var r *secret.Record
	var who string
	err = v.Update(func(tx *vault.Tx) error {
		if r, err = tx.Find(o.Ref); err != nil {
			return err
		}
		if !r.Mine() {
			return &exitError{class: errNotPermitted, msg: fmt.Sprintf("%s belongs to %s: only the owner manages who has access", describe(r), r.Owner)}
		}
		contacts, err := loadContacts(tx)
		if err != nil {
			return err
		}
		key := ""
		if i, ok := share.FindContact(contacts, o.From); ok {
			key = contacts[i].Key
		}
		for i, a := range r.Access {
			if a.Permission == secret.PermOwner {
				continue
			}
			if strings.EqualFold(a.Name, o.From) || (key != "" && a.Recipient == key) || a.Recipient == o.From {
				if a.Revoked() {
					return &exitError{class: errConflict, msg: fmt.Sprintf("%s's access to %s was already revoked on %s", a.Name, r.Name, fmtTime(a.RevokedAt))}
				}
				r.Access[i].RevokedAt = tx.Now()
				who = a.Name
				if err := tx.Put(r); err != nil {
					return err
				}
				return tx.Log(logEntry(audit.Share, r, "revoked for "+a.Name))
			}
		}
		return &exitError{class: errNotFound, msg: fmt.Sprintf("%s is not shared with %q", describe(r), o.From), hint: "see `mysafe show " + o.Ref + "`"}
	})
	if err != nil {
		return err
	}
	f.chatter("Access of %s to %s marked as revoked", who, r.Name)
	f.notice("Reminder: %s may still hold a copy of the client secret; a shared copy cannot be taken back. Rotate the secret at the API provider, then store the new one with `mysafe edit %s --client-secret-stdin` and share it again with the people who keep access.", who, o.Ref)
	return nil
}
