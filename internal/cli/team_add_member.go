package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/team"
	"github.com/mysafe/mysafe/internal/vault"
)

// TeamAddMemberOptions are the inputs of `mysafe team add-member`.
type TeamAddMemberOptions struct {
	F        *Factory
	Name     string
	Card     string // the card or key given as an argument
	CardFile string // -F: read it from this file instead
}

// NewCmdTeamAddMember builds `mysafe team add-member`.
func NewCmdTeamAddMember(f *Factory) *cobra.Command {
	opts := &TeamAddMemberOptions{F: f}
	cmd := &cobra.Command{
		Use:   "add-member NAME CARD|KEY|-F FILE",
		Short: "Pin a member's contact card, so the team shares with them and trusts their signature",
		Long: `Pin a member of the team: CARD is the line ` + "`mysafe key`" + ` prints on their side.
Check its fingerprint with them through a channel you trust first. A CI job
that holds only an age identity is added with its public key (age1...).
The member becomes a contact too, if they are not one yet; an existing
contact of that name must have the same keys.`,
		Example: "  mysafe team add-member bob \"$(cat bob.card)\"\n  mysafe team add-member bob -F bob.card\n  mysafe team add-member ci-deploy age1...",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 || (len(args) == 2) == (opts.CardFile != "") {
				return usageErr("team add-member takes NAME and either CARD, KEY or -F FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if len(args) == 2 {
				opts.Card = args[1]
			}
			return teamAddMemberRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.CardFile, "file", "F", "", "read the card or key from `FILE`")
	return cmd
}

func teamAddMemberRun(o *TeamAddMemberOptions) error {
	f, name, pinned := o.F, o.Name, o.Card
	if o.CardFile != "" {
		b, err := readInputFile(o.CardFile, "card or key file", maxCardFileLen)
		if err != nil {
			return err
		}
		pinned = firstKeyLine(string(b))
	}
	if err := team.CheckMemberName(name); err != nil {
		return usageErr(err.Error())
	}
	if err := validateContactName(name); err != nil {
		return err
	}
	pinned = strings.TrimSpace(pinned)
	var c share.Contact
	var msg string
	err := f.Update(func(tx *vault.Tx) error {
		st, err := requireTeam(tx)
		if err != nil {
			return err
		}
		now := tx.Now()
		if c, err = team.PinnedContact(name, pinned, now); err != nil {
			if errors.Is(err, share.ErrInvalidCard) {
				return withHint(errUsage, err, "copy the whole line `mysafe key` printed for them")
			}
			return usageErr(err.Error())
		}
		if !c.Card && c.Kind != string(share.KindX25519) && c.Kind != string(share.KindHybrid) {
			return usageErr("a member without a card must be an age key (age1... or age1pq1...), such as a CI job's")
		}
		side, err := readSharing(tx)
		if err != nil {
			return err
		}
		if pub := side.keys; c.HasKey(pub.Sharing) || c.HasKey(pub.SharingPQ) || c.Signing == pub.Signing {
			return usageErr("that is your own card; you are a member of your team already")
		}
		contacts := side.contacts
		if i, ok := share.FindContact(contacts, name); ok {
			if !team.SameKeys(contacts[i], c) {
				return withHint(errConflict, fmt.Errorf("your contact %s has other keys than this card", contacts[i].Name),
					"check with them which is theirs; `mysafe contact rm "+contacts[i].Name+"` first if the card is right")
			}
			name = contacts[i].Name
		} else {
			if contacts, err = share.AddContact(contacts, c); err != nil {
				return &exitError{class: errConflict, err: err}
			}
			if err := tx.PutJSON(blobContacts, contacts); err != nil {
				return err
			}
		}
		switch m := st.Member(name); {
		case m != nil && !m.Removed():
			return &exitError{class: errConflict, msg: fmt.Sprintf("%s is a member of the team already", m.Name)}
		case m != nil:
			*m = team.Member{Name: m.Name, Pinned: pinned, AddedAt: now}
			msg = fmt.Sprintf("%s is a member of the team again", m.Name)
		default:
			st.Members = append(st.Members, team.Member{Name: name, Pinned: pinned, AddedAt: now})
			msg = fmt.Sprintf("Pinned %s (%s) as a member of the team", name, team.Fingerprint(c))
		}
		return tx.PutJSON(blobTeam, st)
	})
	if err != nil {
		return err
	}
	f.chatter("%s", msg)
	f.chatter("Share with them with `mysafe share REF --team --to %s`; `mysafe sync` publishes.", name)
	return nil
}
