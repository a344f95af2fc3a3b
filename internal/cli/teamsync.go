package cli

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/gitrepo"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/team"
	"github.com/mysafe/mysafe/internal/vault"
)

// This file is the ground floor of `mysafe team` and `mysafe sync`: the
// vault's team state, git's errors, and one sync, which `sync` runs and
// `team init` and `team join` run once they are set up. What a sync
// decides (which revision is imported, what is published to whom) is
// decided in internal/team.

const blobTeam = "team"

// loadTeam returns the vault's team state, or nil when it is in no team.
func loadTeam(tx *vault.Tx) (*team.State, error) {
	var st team.State
	ok, err := tx.GetJSON(blobTeam, &st)
	if err != nil || !ok {
		return nil, err
	}
	return &st, nil
}

// requireTeam returns the vault's team state, or a not-found error that
// says how to start one.
func requireTeam(tx *vault.Tx) (*team.State, error) {
	st, err := loadTeam(tx)
	if err == nil && st == nil {
		err = &exitError{class: errNotFound, msg: "this vault is in no team", hint: "start one with `mysafe team init DIR|URL`, or join one with `mysafe team join URL`"}
	}
	return st, err
}

// gitEnv is added to every git command: git never waits for a password at
// a terminal nobody watches.
func gitEnv(f *Factory) []string {
	if !f.IO.CanPrompt() {
		return []string{"GIT_TERMINAL_PROMPT=0"}
	}
	return nil
}

// gitErr classifies git's failures.
func gitErr(err error) error {
	if errors.Is(err, gitrepo.ErrNoGit) {
		return withHint(errNotFound, err, "install git; mysafe uses your own git and its configuration")
	}
	if errors.Is(err, gitrepo.ErrUnsafePath) {
		return withHint(errLocked, fmt.Errorf("%w; nothing was written through it", err),
			"someone pushed it to the team repository; ask the team to remove it, then run `mysafe sync` again")
	}
	if errors.Is(err, gitrepo.ErrRejected) {
		return withHint(errConflict, err, "others are pushing right now; run `mysafe sync` again")
	}
	return err
}

// pushTries is how often sync pushes before giving up on a remote that
// keeps moving.
const pushTries = 5

// progress tells a person at a terminal what a long sync is doing.
func (f *Factory) progress(format string, a ...any) {
	if f.IO.StderrTTY {
		f.chatter(format, a...)
	}
}

// syncMode says how a sync runs: the flags of `mysafe sync`, all off when
// `team init` or `team join` runs one.
type syncMode struct {
	DryRun       bool
	JSON         bool
	Resolve      string
	AcceptRewind bool
}

// syncWith runs one sync on the open vault v (opened for writing).
func syncWith(f *Factory, v *vault.Vault, o syncMode) error {
	var st *team.State
	if err := v.View(func(tx *vault.Tx) (err error) { st, err = requireTeam(tx); return err }); err != nil {
		return err
	}
	repo := &gitrepo.Repo{Dir: st.Checkout, Env: gitEnv(f)}
	if _, err := os.Stat(st.Checkout); err != nil {
		return withHint(errNotFound, fmt.Errorf("the team's working copy %s is missing: %w", st.Checkout, errors.Unwrap(err)), "")
	}
	rep := &syncReport{DryRun: o.DryRun, Remote: st.Remote, Imported: []syncImport{}, Published: []syncPublished{},
		Refused: []syncRefused{}, Conflicts: []syncRefused{}, Notes: []syncNote{}}
	f.progress("Fetching %s ...", st.Remote)
	remote, err := repo.Fetch()
	if err != nil {
		return gitErr(err)
	}
	rep.Fetched = remote
	if err := repo.ResetToRemote(); err != nil {
		return gitErr(err)
	}
	files, err := repo.Files()
	if err != nil {
		return gitErr(err)
	}
	if err := checkRewind(repo, st, remote, files, o.AcceptRewind); err != nil {
		return err
	}

	var pubs []pendingFile
	err = v.Update(func(tx *vault.Tx) error {
		st, err := requireTeam(tx)
		if err != nil {
			return err
		}
		if o.AcceptRewind {
			st.Seen = slices.DeleteFunc(st.Seen, func(p string) bool { return !slices.Contains(files, p) })
		}
		side, err := readSharing(tx)
		if err != nil {
			return err
		}
		in, err := importFiles(tx, side, st, repo.Dir, files, share.Resolution(strings.ToLower(o.Resolve)), rep)
		if err != nil {
			return err
		}
		st.Head = remote
		if pubs, err = planFiles(tx, side, st, in, rep); err != nil {
			return err
		}
		if o.DryRun {
			return errUnchanged
		}
		return tx.PutJSON(blobTeam, st)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	if !o.DryRun && len(pubs) > 0 {
		if err := publish(f, v, repo, pubs, rep); err != nil {
			return err
		}
	}
	return finishSync(f, o, rep)
}

// checkRewind reports a remote that no longer holds what the last sync
// saw: the commit it synced is not in the remote's history, or files it
// processed are gone.
func checkRewind(repo *gitrepo.Repo, st *team.State, remote string, files []string, accept bool) error {
	if st.Head == "" || accept {
		return nil
	}
	ok := false
	if remote != "" {
		var err error
		if ok, err = repo.IsAncestor(st.Head, remote); err != nil {
			return gitErr(err)
		}
	}
	have := make(map[string]bool, len(files))
	for _, p := range files {
		have[p] = true
	}
	gone := 0
	for _, p := range st.Seen {
		if !have[p] {
			gone++
		}
	}
	if ok && gone == 0 {
		return nil
	}
	what := fmt.Sprintf("commit %.12s that you synced last is no longer in its history", st.Head)
	if ok {
		what = fmt.Sprintf("%d file(s) you synced are gone from it", gone)
	}
	return withHint(errLocked, fmt.Errorf("the team repository was rewound: %s; nothing was changed", what),
		"someone rewrote the repository, or it was restored from an old copy; ask the team. To go on anyway (the revisions you accepted stay), run `mysafe sync --accept-rewind`")
}

// imported is what importFiles leaves for publishing: the vault's records
// after the import.
type imported struct {
	records []*secret.Record
	// conflicts holds the ids of records with a revision in conflict:
	// nothing of them is published until the user chose.
	conflicts map[string]bool
}

// importFiles decides every record file not processed yet, stores what is
// accepted, and marks the files processed.
func importFiles(tx *vault.Tx, side *sharingSide, st *team.State, dir string, files []string, resolve share.Resolution, rep *syncReport) (*imported, error) {
	ids, self, err := side.identities()
	if err != nil {
		return nil, err
	}
	recs, err := tx.Records()
	if err != nil {
		return nil, err
	}
	selfContact, err := side.member(tx.Now())
	if err != nil {
		return nil, err
	}
	memberFiles := map[string]string{}
	var todo []team.RecordFile
	paths := map[team.RecordFile]string{}
	for _, p := range files {
		if _, ok := team.ParseMemberPath(p); ok {
			if b, err := readRepoFile(dir, p, 64<<10); err == nil {
				memberFiles[p] = string(b)
			}
			continue
		}
		rf, ok := team.ParseRecordPath(p)
		if !ok {
			if strings.HasPrefix(p, team.RecordsDir+"/") || strings.HasPrefix(p, team.MembersDir+"/") {
				rep.Notes = append(rep.Notes, syncNote{Problem: true, Text: fmt.Sprintf("%s: not a file mysafe writes; ignored", p)})
			}
			continue
		}
		if !st.HasSeen(p) {
			todo = append(todo, rf)
			paths[rf] = p
		}
	}
	for _, n := range team.CheckCards(memberFiles, st, selfContact, tx.Now()) {
		rep.Notes = append(rep.Notes, syncNote{Member: n.Member, Problem: n.Problem, Text: n.Text})
	}
	// Oldest revision first, so a record's revisions are taken in order.
	slices.SortFunc(todo, func(a, b team.RecordFile) int {
		if c := strings.Compare(a.UID, b.UID); c != 0 {
			return c
		}
		return cmp.Compare(a.Revision, b.Revision)
	})
	conflicts := map[string]bool{}
	env := team.Env{Identities: ids, Self: self, Contacts: side.contacts, Team: st, Now: tx.Now(), Resolve: resolve}
	for _, rf := range todo {
		p := paths[rf]
		data, err := readRepoFile(dir, p, int64(share.MaxBundleSize))
		if err != nil {
			rep.Refused = append(rep.Refused, syncRefused{File: p, Reason: err.Error()})
			st.MarkSeen(p)
			continue
		}
		env.Records = recs
		out := team.Decide(p, data, env)
		switch out.Verdict {
		case team.NotForMe, team.Older:
			st.MarkSeen(p)
		case team.Refused:
			rep.Refused = append(rep.Refused, syncRefused{File: p, Reason: out.Problem()})
			st.MarkSeen(p)
		case team.Unpinned:
			rep.Notes = append(rep.Notes, syncNote{Text: fmt.Sprintf("%s: %s; it waits until you pin their card", p, out.Err)})
		case team.Conflict:
			rep.Conflicts = append(rep.Conflicts, syncRefused{File: p, Reason: out.Err.Error()})
			conflicts[rf.UID] = true
		case team.Import:
			tx.SetChange(vault.Change{By: out.Sender, Note: "team sync"})
			for _, s := range out.Plan.Steps {
				rep.Imported = append(rep.Imported, syncImport{File: p, Name: s.Name, Action: importWord(s.Action), Reason: s.Reason, From: out.Sender})
				if s.Action != share.ActionAdd && s.Action != share.ActionUpdate {
					continue
				}
				if s.Record.ID == "" {
					s.Record.ID = secret.NewID()
				}
				if err := tx.Put(s.Record); err != nil {
					return nil, withHint(errConflict, fmt.Errorf("%s: %w", display.Safe(s.Name), err), "nothing was imported")
				}
				if err := tx.Log(logEntry(audit.Import, s.Record, "from the team repository, signed by "+out.Sender)); err != nil {
					return nil, err
				}
			}
			st.Accept(rf.UID, rf.Revision)
			st.MarkSeen(p)
			if recs, err = tx.Records(); err != nil {
				return nil, err
			}
		}
	}
	return &imported{records: recs, conflicts: conflicts}, nil
}

func importWord(a share.Action) string {
	switch a {
	case share.ActionAdd:
		return "added"
	case share.ActionUpdate:
		return "updated"
	}
	return a.String()
}

// pendingFile is a file to write into the working copy, and what to store
// in the vault once it is pushed.
type pendingFile struct {
	Path   string
	Data   []byte // nil: remove the file
	Record *secret.Record
	Pub    team.Publication
}

// planFiles builds the record files to publish and the member files to
// write or remove.
func planFiles(tx *vault.Tx, side *sharingSide, st *team.State, in *imported, rep *syncReport) ([]pendingFile, error) {
	profile, pub := side.profile, side.keys
	var out []pendingFile
	card, err := side.card()
	if err != nil {
		return nil, err
	}
	present := func(p string) bool {
		_, err := os.Lstat(filepath.Join(st.Checkout, filepath.FromSlash(p)))
		return err == nil
	}
	// The user's own card is theirs to say: written when missing, and
	// restored when someone changed it.
	if p := team.MemberPath(profile.Owner, true); !present(p) {
		out = append(out, pendingFile{Path: p, Data: []byte(card + "\n")})
	} else if b, err := readRepoFile(st.Checkout, p, 64<<10); err != nil || strings.TrimSpace(string(b)) != card {
		out = append(out, pendingFile{Path: p, Data: []byte(card + "\n")})
		rep.Notes = append(rep.Notes, syncNote{Member: profile.Owner, Text: "your own card in the repository was changed; sync puts it back"})
	}
	for _, m := range st.Members {
		p := team.MemberPath(m.Name, m.IsCard())
		switch {
		case m.Removed() && present(p):
			if b, err := readRepoFile(st.Checkout, p, 64<<10); err == nil && strings.TrimSpace(string(b)) == strings.TrimSpace(m.Pinned) {
				out = append(out, pendingFile{Path: p})
			}
		case !m.Removed() && !present(p):
			out = append(out, pendingFile{Path: p, Data: []byte(strings.TrimSpace(m.Pinned) + "\n")})
		}
	}
	sender, selfParty := side.sender(), side.self()
	for _, p := range team.PlanPublish(in.records, st, side.contacts, present) {
		if in.conflicts[p.Record.UID] {
			continue
		}
		recipients, err := team.Recipients(p.To, profile.Owner, pub.Sharing, pub.SharingPQ)
		if err != nil {
			return nil, err
		}
		payload := share.NewPayload(tx.Now(), sender, []share.Record{share.RecordFromSecret(p.Record, selfParty)})
		if err := share.CanCarry(p.Record.ClientSecret); err != nil {
			// A record no bundle can carry (its client secret was changed to
			// bytes that are not text after it was shared) stays behind;
			// the rest of the sync goes on.
			rep.Notes = append(rep.Notes, syncNote{Text: fmt.Sprintf("%s is not published: %s", describe(p.Record),
				strings.TrimPrefix(err.Error(), share.ErrNotPermitted.Error()+": "))})
			continue
		}
		bundle, err := share.Build(payload, profile.SigningKey(), recipients, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", describe(p.Record), err)
		}
		path := team.RecordPath(p.Record.UID, p.Record.Revision, bundle)
		out = append(out, pendingFile{Path: path, Data: bundle, Record: p.Record, Pub: p})
		to := make([]string, len(p.To))
		for i, c := range p.To {
			to[i] = c.Name
		}
		rep.Published = append(rep.Published, syncPublished{File: path, Name: p.Record.Name, Revision: p.Record.Revision, To: to, Edit: p.Edit})
	}
	return out, nil
}

// publish writes the files, commits, pushes, and records in the vault
// what was published.
func publish(f *Factory, v *vault.Vault, repo *gitrepo.Repo, pubs []pendingFile, rep *syncReport) error {
	if err := writeRepoFiles(repo, pubs); err != nil {
		repo.ResetToRemote()
		return gitErr(err)
	}
	n := 0
	for _, p := range pubs {
		if p.Record != nil {
			n++
		}
	}
	committed, err := repo.Commit(fmt.Sprintf("mysafe sync: %d revision file(s)", n))
	if err != nil {
		repo.ResetToRemote()
		return gitErr(err)
	}
	if !committed {
		return nil
	}
	f.progress("Pushing %d file(s) ...", len(pubs))
	if err := repo.Push(pushTries, func(attempt int) {
		f.progress("The remote moved on; rebasing and pushing again (%d of %d) ...", attempt+1, pushTries)
	}); err != nil {
		repo.ResetToRemote()
		return gitErr(err)
	}
	head, err := repo.Head()
	if err != nil {
		return gitErr(err)
	}
	rep.Pushed = head
	return v.Update(func(tx *vault.Tx) error {
		st, err := requireTeam(tx)
		if err != nil {
			return err
		}
		for _, p := range pubs {
			if p.Record == nil {
				continue
			}
			st.MarkSeen(p.Path)
			r, err := tx.Find(p.Record.ID)
			if err != nil {
				continue
			}
			if r.Revision == p.Record.Revision {
				r.SyncedRevision = r.Revision
				if err := tx.Put(r); err != nil {
					return err
				}
			}
			if p.Pub.Edit {
				st.Accept(r.UID, p.Record.Revision)
			} else {
				st.SetPublished(r.UID, p.Pub.Key, p.Path)
			}
		}
		st.Head = head
		return tx.PutJSON(blobTeam, st)
	})
}

// writeRepoFiles writes (or removes) files in the working copy. Folders
// and links in it come from the remote: nothing is written through a link
// (see gitrepo.Repo.WriteFile).
func writeRepoFiles(repo *gitrepo.Repo, pubs []pendingFile) error {
	for _, p := range pubs {
		if p.Data == nil {
			if err := repo.RemoveFile(p.Path); err != nil {
				return fmt.Errorf("cannot remove %s from the team's working copy: %w", p.Path, err)
			}
			continue
		}
		if err := repo.WriteFile(p.Path, p.Data); err != nil {
			return fmt.Errorf("cannot write %s in the team's working copy: %w", p.Path, err)
		}
	}
	return nil
}

// finishSync prints the report and returns the error for what went wrong.
func finishSync(f *Factory, o syncMode, rep *syncReport) error {
	if o.JSON {
		if err := writeJSON(f.IO.Out, rep); err != nil {
			return err
		}
	} else {
		for _, i := range rep.Imported {
			if i.Action == "unchanged" {
				continue
			}
			fmt.Fprintf(f.IO.Out, "%-9s %s: %s (from %s)\n", i.Action, display.Safe(i.Name), display.Safe(i.Reason), display.Safe(i.From))
		}
		for _, p := range rep.Published {
			verb := "published"
			if p.Edit {
				verb = "sent"
			}
			to := strings.Join(p.To, ", ")
			if to == "" {
				to = "nobody else"
			}
			fmt.Fprintf(f.IO.Out, "%-9s %s revision %d to %s\n", verb, display.Safe(p.Name), p.Revision, display.Safe(to))
		}
		for _, r := range rep.Refused {
			fmt.Fprintf(f.IO.Out, "%-9s %s: %s\n", "REFUSED", display.Safe(r.File), display.Safe(r.Reason))
		}
		for _, r := range rep.Conflicts {
			fmt.Fprintf(f.IO.Out, "%-9s %s: %s\n", "CONFLICT", display.Safe(r.File), display.Safe(r.Reason))
		}
		for _, n := range rep.Notes {
			word := "note"
			if n.Problem {
				word = "warning"
			}
			f.notice("mysafe: %s: %s", word, n.Text)
		}
		if o.DryRun {
			f.chatter("Dry run: nothing was stored, committed or pushed.")
		}
	}
	problems := len(rep.Refused)
	for _, n := range rep.Notes {
		if n.Problem {
			problems++
		}
	}
	switch {
	case problems > 0:
		return withHint(errLocked, fmt.Errorf("%d problem(s) in the team repository; nothing of them was accepted", problems), "see the lines above; docs/teams.md explains each")
	case len(rep.Conflicts) > 0:
		return withHint(errConflict, fmt.Errorf("%d revision(s) conflict with your changes and were not imported", len(rep.Conflicts)), "run `mysafe sync --resolve theirs` or `--resolve mine`")
	}
	return nil
}

// syncReport is what sync did, for people and for --json.
type syncReport struct {
	DryRun    bool            `json:"dry_run"`
	Remote    string          `json:"remote"`
	Fetched   string          `json:"fetched"`
	Pushed    string          `json:"pushed"`
	Imported  []syncImport    `json:"imported"`
	Published []syncPublished `json:"published"`
	Refused   []syncRefused   `json:"refused"`
	Conflicts []syncRefused   `json:"conflicts"`
	Notes     []syncNote      `json:"notes"`
}

type syncImport struct {
	File   string `json:"file"`
	Name   string `json:"name"`
	Action string `json:"action"`
	Reason string `json:"reason"`
	From   string `json:"from"`
}

type syncPublished struct {
	File     string   `json:"file"`
	Name     string   `json:"name"`
	Revision uint64   `json:"revision"`
	To       []string `json:"to"`
	Edit     bool     `json:"edit"`
}

type syncRefused struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

type syncNote struct {
	Member  string `json:"member,omitempty"`
	Problem bool   `json:"problem"`
	Text    string `json:"text"`
}
