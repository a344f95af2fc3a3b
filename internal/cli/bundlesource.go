package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/ref"
	"github.com/mysafe/mysafe/internal/safefile"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/team"
)

// envSigner holds the contact card of the person whose bundle --bundle
// reads, or, for --team-dir, the cards of the members whose API secrets
// the job reads, one a line.
const envSigner = "MYSAFE_SIGNER"

// bundleSource is where `reveal` and `exec` read values from instead of the
// vault: a share bundle, or a working copy of a team repository, addressed
// to this job's own identity and checked against the signers' contact
// cards. Path and TeamDir are both empty for the vault.
type bundleSource struct {
	Path    string
	TeamDir string
	Signers []string // the cards; none means MYSAFE_SIGNER
}

// active reports whether values come from a bundle or a team repository.
func (b *bundleSource) active() bool { return b.Path != "" || b.TeamDir != "" }

// addFlags adds --bundle, --team-dir and --signer to cmd.
func (b *bundleSource) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&b.Path, "bundle", "", "read values from this share `FILE` instead of a vault (CI: unlock with MYSAFE_IDENTITY set to the job's own age identity)")
	cmd.Flags().StringVar(&b.TeamDir, "team-dir", "", "read values from this checkout of a team repository instead of a vault (CI, as --bundle)")
	cmd.Flags().StringArrayVar(&b.Signers, "signer", nil, "with --bundle, the sender's contact `CARD` (as `mysafe key` prints it; default MYSAFE_SIGNER); with --team-dir, a member's card (repeatable)")
	cmd.MarkFlagsMutuallyExclusive("bundle", "team-dir")
}

// cards returns the signers' cards: the --signer flags, or the lines of
// MYSAFE_SIGNER.
func (b *bundleSource) cards(f *Factory) ([]string, error) {
	cards := b.Signers
	if len(cards) == 0 {
		for _, line := range strings.Split(f.Getenv(envSigner), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				cards = append(cards, line)
			}
		}
	}
	switch {
	case len(cards) == 0 && b.TeamDir != "":
		return nil, withHint(errUsage, errors.New("--team-dir needs the contact cards of the members whose API secrets it reads"),
			"give each with --signer CARD, or all in MYSAFE_SIGNER, one a line; members print theirs with `mysafe key`")
	case len(cards) == 0 || strings.TrimSpace(cards[0]) == "":
		return nil, withHint(errUsage, errors.New("--bundle needs the sender's contact card"),
			"give it with --signer CARD or MYSAFE_SIGNER; the sender prints it with `mysafe key`")
	case len(cards) > 1 && b.TeamDir == "":
		return nil, usageErr("--bundle takes one --signer: the card of the person who made the bundle")
	}
	return cards, nil
}

// identities returns the job's own age identity from MYSAFE_IDENTITY or
// MYSAFE_IDENTITY_FILE.
func (b *bundleSource) identities(f *Factory) ([]age.Identity, error) {
	idText := f.Getenv(envIdentity)
	if idText == "" {
		file := f.Getenv(envIdentityFile)
		if file == "" {
			msg := "--bundle needs the age identity the bundle was shared to"
			if b.TeamDir != "" {
				msg = "--team-dir needs the age identity the API secrets were shared to"
			}
			return nil, withHint(errLocked, errors.New(msg),
				"set MYSAFE_IDENTITY (or MYSAFE_IDENTITY_FILE) to the job's own identity from the CI secret store")
		}
		var err error
		if idText, err = readKeyFile(file, f.cfg.SharedFiles); err != nil {
			return nil, unlockSourceErr("identity file", err)
		}
	}
	ids, err := age.ParseIdentities(strings.NewReader(idText))
	if err != nil {
		return nil, withHint(errLocked, errors.New("the identity is not an age secret key"), "check MYSAFE_IDENTITY")
	}
	return ids, nil
}

// finder opens the bundle or reads the team repository and returns a
// lookup over their records. Nothing is asked, and nothing is written.
func (b *bundleSource) finder(f *Factory) (ref.Finder, error) {
	cards, err := b.cards(f)
	if err != nil {
		return nil, err
	}
	ids, err := b.identities(f)
	if err != nil {
		return nil, err
	}
	var recs []*secret.Record
	if b.TeamDir != "" {
		recs, err = readTeamDir(f, b.TeamDir, ids, cards)
	} else {
		recs, err = readBundleSource(f, b.Path, ids, cards[0])
	}
	if err != nil {
		return nil, err
	}
	return func(r string) (*secret.Record, error) { return secret.Find(recs, r) }, nil
}

// readBundleSource returns the records of the bundle at path, sent by the
// holder of card.
func readBundleSource(f *Factory, path string, ids []age.Identity, card string) ([]*secret.Record, error) {
	data, err := readBundleFile(path)
	if err != nil {
		return nil, err
	}
	recs, err := share.ReadBundle(data, ids, card, f.Now())
	switch {
	case errors.Is(err, share.ErrInvalidCard):
		return nil, withHint(errUsage, fmt.Errorf("--signer: %w", err), "copy the whole line `mysafe key` printed for the sender")
	case errors.Is(err, share.ErrSender):
		return nil, &exitError{class: errLocked, err: err}
	case errors.Is(err, share.ErrNotPermitted):
		return nil, &exitError{class: errNotPermitted, err: err}
	case err != nil:
		return nil, bundleErr(err)
	}
	return recs, nil
}

// readTeamDir returns the newest revision of every record in the team
// working copy at dir that is addressed to ids and owner-signed by one of
// the members whose cards are given. Skipped files are warned about on
// stderr.
func readTeamDir(f *Factory, dir string, ids []age.Identity, cards []string) ([]*secret.Record, error) {
	var signers []share.Contact
	for i, card := range cards {
		c, err := share.ParseCard(card)
		if err != nil {
			return nil, withHint(errUsage, fmt.Errorf("--signer %d: %w", i+1, err), "copy the whole line `mysafe key` printed for the member")
		}
		signers = append(signers, share.ContactFromCard(c.Fingerprint(), c, f.Now()))
	}
	if fi, err := os.Stat(filepath.Join(dir, team.RecordsDir)); err != nil || !fi.IsDir() {
		return nil, withHint(errNotFound, fmt.Errorf("--team-dir: %s holds no %s folder", dir, team.RecordsDir), "give a checkout of the team repository")
	}
	paths, err := filepath.Glob(filepath.Join(dir, team.RecordsDir, "*", "*"))
	if err != nil {
		return nil, err
	}
	var files []team.File
	for _, full := range paths {
		rel, err := filepath.Rel(dir, full)
		if err != nil {
			return nil, err
		}
		rel = filepath.ToSlash(rel)
		if _, ok := team.ParseRecordPath(rel); !ok {
			continue
		}
		data, err := readRepoFile(dir, rel, int64(share.MaxBundleSize))
		if err != nil {
			f.notice("mysafe: warning: %s: skipped: %v", rel, err)
			continue
		}
		files = append(files, team.File{Path: rel, Data: data})
	}
	read, err := team.ReadCheckout(files, ids, signers, f.Now())
	if err != nil {
		return nil, err
	}
	for _, w := range read.Warnings {
		f.notice("mysafe: warning: %s", w)
	}
	return read.Records, nil
}

// readBundleFile reads a bundle, refusing anything larger than a bundle
// can be before reading it all.
func readBundleFile(path string) ([]byte, error) {
	fh, err := openInputFile(path, "--bundle", "give a regular file")
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := safefile.ReadLimited(fh, int64(share.MaxBundleSize))
	if err != nil {
		return nil, &exitError{class: errUsage, err: fmt.Errorf("--bundle %s: %w", path, err)}
	}
	return data, nil
}

// bundleErr maps share.Open's errors to exit codes.
func bundleErr(err error) error {
	switch {
	case errors.Is(err, share.ErrUnsigned):
		return withHint(errLocked, err, "only if you trust how the file reached you, add --allow-unsigned")
	case errors.Is(err, share.ErrNotAddressed):
		return withHint(errLocked, err, "your public keys are in your card, `mysafe key`")
	case errors.Is(err, share.ErrTampered), errors.Is(err, share.ErrBadSignature), errors.Is(err, share.ErrForwarded):
		return &exitError{class: errLocked, err: err}
	case errors.Is(err, share.ErrMalformed), errors.Is(err, share.ErrUnsupportedVersion), errors.Is(err, share.ErrExpired):
		return &exitError{class: errUsage, err: err}
	}
	return err
}
