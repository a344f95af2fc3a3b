package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// teamShareRun is `mysafe share REF... --team`: grant the members access
// to the user's own records and mark them for `mysafe sync` to publish.
func teamShareRun(o *ShareOptions) error {
	f := o.F
	perm, err := secret.ParsePermission(o.Permission)
	if err != nil {
		return err
	}
	var names, who []string
	err = f.Update(func(tx *vault.Tx) error {
		st, err := requireTeam(tx)
		if err != nil {
			return err
		}
		side, err := readSharing(tx)
		if err != nil {
			return err
		}
		to := o.To
		if o.All {
			to = nil
			for _, m := range st.Active() {
				to = append(to, m.Name)
			}
			if len(to) == 0 {
				return withHint(errNotFound, errors.New("the team has no other member yet"), "pin one with `mysafe team add-member NAME CARD`")
			}
		}
		for _, name := range to {
			if m := st.Member(name); m == nil || m.Removed() {
				return withHint(errNotFound, fmt.Errorf("%q is not a member of the team", name), "see `mysafe team members`; pin one with `mysafe team add-member NAME CARD`")
			}
		}
		recipients, err := resolveRecipients(side.contacts, to)
		if err != nil {
			return err
		}
		var recs []*secret.Record
		for _, ref := range o.Refs {
			r, err := tx.Find(ref)
			if err != nil {
				return err
			}
			if !r.Mine() {
				return &exitError{class: errNotPermitted, msg: fmt.Sprintf("%s belongs to %s: only its owner shares it through the team", describe(r), r.Owner),
					hint: "with edit permission, your changes reach the owner through `mysafe sync`"}
			}
			recs = append(recs, r)
			names = append(names, r.Name)
		}
		plan, err := share.PlanShare(share.ShareRequest{
			Records: recs, Recipients: recipients, Contacts: side.contacts, Self: side.self(),
			Permission: perm, PermissionChosen: o.PermissionSet, Now: tx.Now(),
		})
		if err != nil {
			return shareErr(err)
		}
		for _, r := range plan.Records {
			if err := tx.Put(r); err != nil {
				return err
			}
			if err := tx.Log(logEntry(audit.Share, r, "to the team")); err != nil {
				return err
			}
			st.Share(r.UID)
		}
		for _, r := range recipients {
			who = append(who, r.Name)
		}
		return tx.PutJSON(blobTeam, st)
	})
	if err != nil {
		return err
	}
	f.chatter("Shared %s with %s through the team, permission %s", strings.Join(names, ", "), strings.Join(who, ", "), perm)
	f.chatter("`mysafe sync` publishes it.")
	return nil
}
