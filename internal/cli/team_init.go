package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/gitrepo"
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

// NewCmdTeamInit builds `mysafe team init`, or `mysafe team join` when
// join is true.
func NewCmdTeamInit(f *Factory, join bool) *cobra.Command {
	opts := &TeamOptions{F: f, Join: join}
	cmd := &cobra.Command{
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
		cmd.Use = "join URL"
		cmd.Short = "Join a team's git repository"
		cmd.Long = `Join a team: make a working copy of its repository next to the vault
(--checkout to choose), publish your contact card there and push. The
cards of the other members are NOT trusted from the repository: check each
fingerprint with its owner, then pin it with ` + "`mysafe team add-member NAME CARD`" + `.`
		cmd.Example = "  mysafe team join git@git.example.com:ops/secrets.git"
		cmd.Args = exactArgs(1, "one URL")
	}
	cmd.Flags().StringVar(&opts.Checkout, "checkout", "", "keep the working copy in `DIR` (default: the vault's path with .team added)")
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
