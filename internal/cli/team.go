package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/gitrepo"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/team"
	"github.com/mysafe/mysafe/internal/vault"
)

// TeamOptions are the inputs of `mysafe team init` and `mysafe team join`.
type TeamOptions struct {
	F        *Factory
	Remote   string
	Checkout string
	Join     bool
}

// NewCmdTeam builds `mysafe team` and its subcommands.
func NewCmdTeam(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "team",
		Short: "Keep shared API secrets in sync with a team through a git repository",
		Long: `A team shares API secrets through a git repository that anyone on the team
can push to: a bare folder on a shared drive, or any SSH or HTTPS remote.
The repository holds the members' contact cards and one signed, encrypted
file per revision of each shared API secret; it never holds a vault.
Nothing in it is trusted for being there: you pin each member's card
yourself, and every revision must carry its owner's signature.
See ` + "`mysafe sync`" + ` and docs/teams.md.`,
		Example: "  mysafe team init /srv/shared/payments-team.git\n  mysafe team join git@git.example.com:ops/secrets.git\n  mysafe team add-member bob \"$(cat bob.card)\"\n  mysafe team remove-member bob",
		Args:    exactArgs(0, "a subcommand (init, join, add-member, remove-member, members)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErr("say what to do: `mysafe team init|join|add-member|remove-member|members`")
		},
	}
	newInit := func(join bool) *cobra.Command {
		opts := &TeamOptions{F: f, Join: join}
		c := &cobra.Command{
			Use:   "init DIR|URL",
			Short: "Start a team in an empty git repository (a folder is created as a bare repository)",
			Long: `Start a team in an empty git repository. DIR is a folder (created as a bare
repository when it does not exist yet, for a shared drive); URL is any
remote git accepts. mysafe keeps its own working copy of it next to the
vault (--checkout to choose), publishes your contact card there and pushes.`,
			Example: "  mysafe team init /srv/shared/payments-team.git\n  mysafe team init git@git.example.com:ops/secrets.git",
			Args:    exactArgs(1, "one DIR or URL"),
			RunE: func(cmd *cobra.Command, args []string) error {
				opts.Remote = args[0]
				return teamInitRun(opts)
			},
		}
		if join {
			c.Use = "join URL"
			c.Short = "Join a team's git repository"
			c.Long = `Join a team: make a working copy of its repository next to the vault
(--checkout to choose), publish your contact card there and push. The
cards of the other members are NOT trusted from the repository: check each
fingerprint with its owner, then pin it with ` + "`mysafe team add-member NAME CARD`" + `.`
			c.Example = "  mysafe team join git@git.example.com:ops/secrets.git"
			c.Args = exactArgs(1, "one URL")
		}
		c.Flags().StringVar(&opts.Checkout, "checkout", "", "keep the working copy in `DIR` (default: the vault's path with .team added)")
		return c
	}
	var cardFile string
	add := &cobra.Command{
		Use:   "add-member NAME CARD|KEY|-F FILE",
		Short: "Pin a member's contact card, so the team shares with them and trusts their signature",
		Long: `Pin a member of the team: CARD is the line ` + "`mysafe key`" + ` prints on their side.
Check its fingerprint with them through a channel you trust first. A CI job
that holds only an age identity is added with its public key (age1...).
The member becomes a contact too, if they are not one yet; an existing
contact of that name must have the same keys.`,
		Example: "  mysafe team add-member bob \"$(cat bob.card)\"\n  mysafe team add-member bob -F bob.card\n  mysafe team add-member ci-deploy age1...",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 || (len(args) == 2) == (cardFile != "") {
				return usageErr("team add-member takes NAME and either CARD, KEY or -F FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cardFile == "" {
				return teamAddMemberRun(f, args[0], args[1])
			}
			b, err := readInputFile(cardFile, "card or key file", maxCardFileLen)
			if err != nil {
				return err
			}
			return teamAddMemberRun(f, args[0], firstKeyLine(string(b)))
		},
	}
	add.Flags().StringVarP(&cardFile, "file", "F", "", "read the card or key from `FILE`")
	rm := &cobra.Command{
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
			return teamRemoveMemberRun(f, args[0])
		},
	}
	var membersJSON bool
	members := &cobra.Command{
		Use:     "members",
		Short:   "List the team's members as this vault pinned them",
		Example: "  mysafe team members\n  mysafe team members --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return teamMembersRun(f, membersJSON)
		},
	}
	members.Flags().BoolVar(&membersJSON, "json", false, "print a JSON object")
	cmd.AddCommand(newInit(false), newInit(true), add, rm, members)
	return cmd
}

// scpLike matches git's user@host:path remotes.
const scpLike = `^[A-Za-z0-9._@-]+:`

// localRemote reports whether a remote is a folder rather than a URL.
func localRemote(remote string) bool {
	return !strings.Contains(remote, "://") && !regexp.MustCompile(scpLike).MatchString(remote)
}

func teamInitRun(o *TeamOptions) error {
	f := o.F
	remote := o.Remote
	if err := gitrepo.CheckRemote(remote); err != nil {
		return usageErr(err.Error())
	}
	checkout := o.Checkout
	if checkout == "" {
		checkout = f.cfg.VaultPath + ".team"
	}
	checkout, err := filepath.Abs(checkout)
	if err != nil {
		return err
	}
	v, err := f.OpenVault(false)
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.View(func(tx *vault.Tx) error {
		st, err := loadTeam(tx)
		if err == nil && st != nil {
			return withHint(errConflict, fmt.Errorf("this vault is already in the team of %s", st.Remote), "see `mysafe team members`")
		}
		return err
	}); err != nil {
		return err
	}
	if _, err := os.Lstat(checkout); err == nil {
		return withHint(errConflict, fmt.Errorf("%s already exists", checkout), "choose another folder with --checkout")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if localRemote(remote) {
		if remote, err = filepath.Abs(remote); err != nil {
			return err
		}
		if _, err := os.Stat(remote); errors.Is(err, fs.ErrNotExist) {
			if o.Join {
				return &exitError{class: errNotFound, msg: fmt.Sprintf("%s does not exist", remote)}
			}
			if err := gitrepo.InitBare(remote); err != nil {
				return gitErr(err)
			}
		}
	}
	repo := &gitrepo.Repo{Dir: checkout, Env: gitEnv(f)}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(checkout)
		}
	}()
	if err := repo.Init(remote); err != nil {
		return gitErr(err)
	}
	head, err := repo.Fetch()
	if err != nil {
		return gitErr(err)
	}
	switch {
	case o.Join && head == "":
		return withHint(errNotFound, fmt.Errorf("%s holds no team yet", remote), "start one with `mysafe team init "+remote+"`")
	case !o.Join && head != "":
		return withHint(errConflict, fmt.Errorf("%s is not empty", remote), "to join the team it holds, use `mysafe team join "+remote+"`")
	}
	st := &team.State{Remote: remote, Checkout: checkout}
	if err := v.Update(func(tx *vault.Tx) error { return tx.PutJSON(blobTeam, st) }); err != nil {
		return err
	}
	done = true
	verb := "Started"
	if o.Join {
		verb = "Joined"
	}
	f.chatter("%s the team of %s (working copy %s).", verb, remote, checkout)
	err = syncWith(f, v, syncMode{})
	if err == nil && !o.Join {
		f.chatter("Pin each member's card with `mysafe team add-member NAME CARD`, then share with `mysafe share REF --team --all` and `mysafe sync`.")
	}
	return err
}

func teamAddMemberRun(f *Factory, name, pinned string) error {
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

func teamRemoveMemberRun(f *Factory, name string) error {
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

// teamMemberJSON is one member in `team members --json`.
type teamMemberJSON struct {
	Name        string     `json:"name"`
	Fingerprint string     `json:"fingerprint"`
	PinnedAt    time.Time  `json:"pinned_at"`
	RemovedAt   *time.Time `json:"removed_at,omitempty"`
}

func teamMembersRun(f *Factory, asJSON bool) error {
	var st *team.State
	var self string
	err := f.View(func(tx *vault.Tx) error {
		var err error
		if st, err = requireTeam(tx); err != nil {
			return err
		}
		p, err := tx.Profile()
		if err == nil {
			self = p.Owner
		}
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		out := struct {
			Remote  string           `json:"remote"`
			You     string           `json:"you"`
			Members []teamMemberJSON `json:"members"`
		}{Remote: st.Remote, You: self, Members: []teamMemberJSON{}}
		for _, m := range st.Members {
			j := teamMemberJSON{Name: m.Name, Fingerprint: "(damaged)", PinnedAt: m.AddedAt.UTC()}
			if c, err := team.PinnedContact(m.Name, m.Pinned, m.AddedAt); err == nil {
				j.Fingerprint = team.Fingerprint(c)
			}
			if m.Removed() {
				at := m.RemovedAt.UTC()
				j.RemovedAt = &at
			}
			out.Members = append(out.Members, j)
		}
		return writeJSON(f.IO.Out, out)
	}
	fmt.Fprintf(f.IO.Out, "Team repository: %s\n", display.Safe(st.Remote))
	fmt.Fprintf(f.IO.Out, "%-20s %s\n", display.Safe(self), "(you)")
	for _, m := range st.Members {
		c, err := team.PinnedContact(m.Name, m.Pinned, m.AddedAt)
		fp := "(damaged)"
		if err == nil {
			fp = team.Fingerprint(c)
		}
		state := "pinned " + fmtTime(m.AddedAt)
		if m.Removed() {
			state = "removed " + fmtTime(m.RemovedAt)
		}
		fmt.Fprintf(f.IO.Out, "%-20s %s  %s\n", display.Safe(m.Name), fp, state)
	}
	return nil
}
