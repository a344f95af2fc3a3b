package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// ShareOptions are the inputs of `mysafe share`.
type ShareOptions struct {
	F          *Factory
	Refs       []string
	To         []string
	Permission string
	Output     string
	Armor      bool
	Expires    string
	Force      bool
	Revoke     string
	From       string
	// PermissionSet is true when --permission was given; without it, mysafe
	// refuses to lower an editor to view by accident.
	PermissionSet bool
	// Team shares through the team repository (with To or All members)
	// instead of writing a bundle.
	Team bool
	All  bool
}

// NewCmdShare builds `mysafe share`.
func NewCmdShare(f *Factory) *cobra.Command {
	opts := &ShareOptions{F: f}
	cmd := &cobra.Command{
		Use:   "share REF... --to NAME|KEY | --team [--to NAME|--all]",
		Short: "Write a signed, encrypted bundle of API secrets for other people",
		Long: `Write a share bundle holding the chosen API secrets, encrypted to every
--to (a contact name, or a public key: age1..., age1pq1..., ssh-ed25519,
ssh-rsa) and signed with your signing key. Recipients import it with
` + "`mysafe import FILE`" + `, or open it with ` + "`age -d`" + `. Each API secret's
users with access then list the recipients and their permission.

With --team, the API secrets are shared through the team repository with
the members --to names (or --all of them); ` + "`mysafe sync`" + ` publishes them.

` + "`mysafe revoke REF --from NAME`" + ` records that access was withdrawn.`,
		Example: `  mysafe share payments-prod --to bob -o payments.age
  mysafe share payments-prod billing-api --to bob --to carol --permission edit --armor --expires 7d -o for-team.txt
  mysafe share payments-prod --team --all --permission edit`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refs = args
			opts.PermissionSet = cmd.Flags().Changed("permission")
			if opts.Team {
				switch {
				case opts.Revoke != "" || opts.Output != "" || opts.Armor || opts.Expires != "" || opts.Force:
					return usageErr("--team shares through the team repository: --revoke, --output, --armor, --expires and --force do not apply")
				case len(args) == 0 || (len(opts.To) > 0) == opts.All:
					return usageErr("use: mysafe share REF... --team --to NAME or --team --all")
				}
				return teamShareRun(opts)
			}
			if opts.All {
				return usageErr("--all needs --team")
			}
			if opts.Revoke != "" {
				if len(args) > 0 || len(opts.To) > 0 || opts.From == "" {
					return usageErr("use: mysafe share --revoke REF --from NAME")
				}
			} else if len(args) == 0 || len(opts.To) == 0 {
				return usageErr("share takes at least one REF and one --to")
			}
			if opts.Revoke != "" {
				f.notice("mysafe: note: share --revoke is deprecated; use `mysafe revoke REF --from NAME`")
				return revokeRun(&RevokeOptions{F: f, Ref: opts.Revoke, From: opts.From})
			}
			return shareRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.To, "to", nil, "recipient: a contact name or a public key (repeatable)")
	fl.StringVar(&opts.Permission, "permission", "view", "what recipients may do: view or edit")
	fl.StringVarP(&opts.Output, "output", "o", "", "write the bundle to `FILE` (mode 0600) instead of stdout")
	fl.BoolVarP(&opts.Armor, "armor", "a", false, "write an ASCII-armored (text) bundle")
	fl.StringVar(&opts.Expires, "expires", "", "refuse imports after this long, e.g. 7d or 12h")
	fl.BoolVar(&opts.Force, "force", false, "overwrite an existing output file")
	fl.StringVar(&opts.Revoke, "revoke", "", "record that access to `REF` was withdrawn (with --from)")
	fl.StringVar(&opts.From, "from", "", "with --revoke: the contact whose access is withdrawn")
	fl.BoolVar(&opts.Team, "team", false, "share through the team repository (`mysafe sync` publishes)")
	fl.BoolVar(&opts.All, "all", false, "with --team: share with every member of the team")
	return cmd
}

// parseExpiry accepts Go durations and a number of days ("7d").
func parseExpiry(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d > 0 {
			return time.Duration(d) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usageErr(fmt.Sprintf("invalid --expires %q (want e.g. 7d, 12h or 30m)", s))
	}
	return d, nil
}

// resolveRecipient turns a --to value into a named recipient: a contact's
// key, or a key given directly. A contact with a card is reached on their
// post-quantum key when pq is true.
func resolveRecipient(contacts []share.Contact, to string, pq bool) (share.Recipient, error) {
	if i, ok := share.FindContact(contacts, to); ok {
		key := contacts[i].Key
		if pq && contacts[i].PQ != "" {
			key = contacts[i].PQ
		}
		r, err := share.ParseRecipient(key)
		if err != nil {
			return r, err
		}
		r.Name = contacts[i].Name
		return r, nil
	}
	r, err := share.ParseRecipient(to)
	if err != nil {
		upper := strings.ToUpper(to)
		if strings.HasPrefix(upper, "AGE-SECRET-KEY-") || strings.HasPrefix(upper, "AGE-PLUGIN-") || strings.Contains(upper, "PRIVATE KEY") {
			// Never repeat a secret key in a message: it would land in logs.
			return r, usageErr(err.Error())
		}
		if !strings.HasPrefix(to, "age1") && !strings.HasPrefix(to, "ssh-") {
			return r, &exitError{class: errNotFound, msg: fmt.Sprintf("no contact named %q", to),
				hint: "add one with `mysafe contact add " + to + " CARD`, or give the public key itself"}
		}
		return r, usageErr(err.Error())
	}
	for _, c := range contacts {
		if c.HasKey(r.Key()) {
			r.Name = c.Name
		}
	}
	if r.Name == "" {
		r.Name = r.Fingerprint()
	}
	return r, nil
}

// resolveRecipients resolves every --to. Contacts with a card are reached
// on their post-quantum keys when every recipient has one, so a bundle is
// post-quantum whenever it can be.
func resolveRecipients(contacts []share.Contact, to []string) ([]share.Recipient, error) {
	pq := true
	for _, t := range to {
		key := t
		if i, ok := share.FindContact(contacts, t); ok {
			if key = contacts[i].Key; contacts[i].PQ != "" {
				continue
			}
		}
		if r, err := share.ParseRecipient(key); err == nil && r.PostQuantum() {
			continue
		}
		pq = false
	}
	var out []share.Recipient
	for _, t := range to {
		r, err := resolveRecipient(contacts, t, pq)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func shareRun(o *ShareOptions) error {
	f := o.F
	perm, err := secret.ParsePermission(o.Permission)
	if err != nil {
		return err
	}
	var ttl time.Duration
	if o.Expires != "" {
		if ttl, err = parseExpiry(o.Expires); err != nil {
			return err
		}
	}
	if o.Output == "" && !o.Armor && f.IO.StdoutTTY {
		return usageErr("refusing to write a binary bundle to the terminal; use -o FILE or --armor")
	}
	if o.Output != "" && !o.Force {
		if _, err := os.Lstat(o.Output); err == nil {
			return withHint(errConflict, fmt.Errorf("%s already exists", o.Output), "use --force to overwrite it")
		}
	}
	v, err := f.OpenVault(false)
	if err != nil {
		return err
	}
	defer v.Close()
	var names []string
	var recipients []share.Recipient
	written := false
	var notes []string
	var out []byte
	err = v.Update(func(tx *vault.Tx) error {
		profile, err := tx.Profile()
		if err != nil {
			return err
		}
		pub, err := tx.PublicKeys()
		if err != nil {
			return err
		}
		contacts, err := loadContacts(tx)
		if err != nil {
			return err
		}
		if recipients, err = resolveRecipients(contacts, o.To); err != nil {
			return err
		}
		if _, err := share.CheckRecipients(recipients); err != nil {
			return usageErr(err.Error())
		}
		now := tx.Now()
		var recs []*secret.Record
		for _, ref := range o.Refs {
			r, err := tx.Find(ref)
			if err != nil {
				return err
			}
			recs = append(recs, r)
			names = append(names, r.Name)
		}
		plan, err := share.PlanShare(share.ShareRequest{
			Records: recs, Recipients: recipients, Contacts: contacts,
			Self:       share.Party{Name: profile.Owner, Recipient: pub.Sharing},
			Permission: perm, PermissionChosen: o.PermissionSet, Now: now,
		})
		if err != nil {
			return shareErr(err)
		}
		for _, g := range plan.Regranted {
			notes = append(notes, fmt.Sprintf("mysafe: note: %s's access to %s had been revoked on %s; this share gives it back", g.Recipient, g.Record, fmtTime(g.RevokedAt)))
		}
		payloadRecs := plan.Payload
		p := share.NewPayload(now, share.Sender{Name: profile.Owner, Recipient: pub.Sharing, PQRecipient: pub.SharingPQ}, payloadRecs)
		if ttl > 0 {
			exp := now.Add(ttl).UTC().Truncate(time.Second)
			p.ExpiresAt = &exp
		}
		bundle, err := share.Build(p, profile.SigningKey(), recipients, o.Armor)
		if err != nil {
			if errors.Is(err, share.ErrInvalidRecipient) || errors.Is(err, share.ErrMixedRecipients) {
				return usageErr(err.Error())
			}
			return err
		}
		for _, r := range plan.Records {
			if err := tx.Put(r); err != nil {
				return err
			}
			if err := tx.Log(logEntry(audit.Share, r, "to "+strings.Join(o.To, ", "))); err != nil {
				return err
			}
		}
		if o.Output == "" {
			out = bundle // printed once the vault has recorded the share
			return nil
		}
		if err := writeBundleFile(o, bundle); err != nil {
			return err
		}
		written = true
		return nil
	})
	if err != nil {
		if written && o.Output != "" {
			// The commit failed after the bundle was written: do not leave
			// a file the vault's access lists do not account for.
			os.Remove(o.Output)
		}
		return err
	}
	if out != nil {
		if _, err := f.IO.Out.Write(out); err != nil {
			return err
		}
	}
	for _, n := range notes {
		f.notice("%s", n)
	}
	who := make([]string, len(recipients))
	for i, r := range recipients {
		who[i] = r.Name
	}
	dest := "stdout"
	if o.Output != "" {
		dest = o.Output
	}
	f.chatter("Shared %d API secret(s) (%s) with %s, permission %s: %s", len(names), strings.Join(names, ", "), strings.Join(who, ", "), perm, dest)
	return nil
}

func writeBundleFile(o *ShareOptions, bundle []byte) error {
	pf, err := createPrivate(o.Output, o.Force)
	if err != nil {
		return err
	}
	if _, err := pf.Write(bundle); err != nil {
		pf.Abort()
		return outputErr("write", o.Output, err)
	}
	return commitPrivate(o.Output, pf)
}

// shareErr maps share.PlanShare's errors to exit codes.
func shareErr(err error) error {
	se, ok := errors.AsType[*share.ShareError](err)
	switch {
	case ok && errors.Is(err, share.ErrWouldLower):
		return usageErr(strings.TrimPrefix(err.Error(), share.ErrWouldLower.Error()+": ") + "; say --permission edit to keep it or --permission view to lower it")
	case ok:
		return &exitError{class: errNotPermitted, err: fmt.Errorf("%s: %w", describe(se.Record), se.Err)}
	}
	return err
}
