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
				return revokeAccess(f, opts.Revoke, opts.From)
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
		side, err := readSharing(tx)
		if err != nil {
			return err
		}
		if recipients, err = resolveRecipients(side.contacts, o.To); err != nil {
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
			Records: recs, Recipients: recipients, Contacts: side.contacts, Self: side.self(),
			Permission: perm, PermissionChosen: o.PermissionSet, Now: now,
		})
		if err != nil {
			return shareErr(err)
		}
		for _, g := range plan.Regranted {
			notes = append(notes, fmt.Sprintf("mysafe: note: %s's access to %s had been revoked on %s; this share gives it back", g.Recipient, g.Record, fmtTime(g.RevokedAt)))
		}
		payloadRecs := plan.Payload
		p := share.NewPayload(now, side.sender(), payloadRecs)
		if ttl > 0 {
			exp := now.Add(ttl).UTC().Truncate(time.Second)
			p.ExpiresAt = &exp
		}
		bundle, err := share.Build(p, side.profile.SigningKey(), recipients, o.Armor)
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
