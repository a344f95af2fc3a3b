package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/team"
	"github.com/mysafe/mysafe/internal/vault"
)

// TeamRemoveMemberOptions are the inputs of `mysafe team remove-member`.
type TeamRemoveMemberOptions struct {
	F    *Factory
	Name string
}

// NewCmdTeamRemoveMember builds `mysafe team remove-member`.
func NewCmdTeamRemoveMember(f *Factory) *cobra.Command {
	opts := &TeamRemoveMemberOptions{F: f}
	cmd := &cobra.Command{
		Use:   "remove-member NAME",
		Short: "Remove a member: new revisions of your API secrets leave them out",
		Long: `Remove a member from the team: their access to your team-shared API secrets
is revoked, so new revisions are no longer encrypted to them, and nothing
they sign through the team is accepted any more. What they already
received stays theirs, and the repository's history keeps every file they
could open: rotate those secrets at the API provider.`,
		Example: "  mysafe team remove-member bob",
		Args:    exactArgs(1, "one NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return teamRemoveMemberRun(opts)
		},
	}
	return cmd
}

func teamRemoveMemberRun(o *TeamRemoveMemberOptions) error {
	f, name := o.F, o.Name
	var revoked []string
	var who string
	err := f.Update(func(tx *vault.Tx) error {
		st, err := requireTeam(tx)
		if err != nil {
			return err
		}
		m := st.Member(name)
		if m == nil || m.Removed() {
			return withHint(errNotFound, fmt.Errorf("%q is not a member of the team", name), "see `mysafe team members`")
		}
		now := tx.Now()
		m.RemovedAt = now
		who = m.Name
		c, err := team.PinnedContact(m.Name, m.Pinned, now)
		if err != nil {
			return err
		}
		recs, err := tx.Records()
		if err != nil {
			return err
		}
		for _, r := range recs {
			if !r.Mine() {
				continue
			}
			changed := false
			for i, a := range r.Access {
				if a.Permission != secret.PermOwner && !a.Revoked() && c.HasKey(a.Recipient) {
					r.Access[i].RevokedAt = now
					changed = true
				}
			}
			if changed {
				if err := tx.Put(r); err != nil {
					return err
				}
				revoked = append(revoked, r.Name)
			}
		}
		return tx.PutJSON(blobTeam, st)
	})
	if err != nil {
		return err
	}
	f.chatter("Removed %s from the team", who)
	if len(revoked) == 0 {
		f.chatter("%s held none of your API secrets; `mysafe sync` removes their card from the repository.", who)
		return nil
	}
	f.notice("Reminder: %s keeps what they already received, and the repository's history keeps every revision they could open. Rotate these secrets at the API provider, store the new values with `mysafe edit REF --client-secret-stdin`, then `mysafe sync`: %s",
		who, strings.Join(revoked, ", "))
	return nil
}
