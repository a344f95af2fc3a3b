package cli

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/ref"
	"github.com/mysafe/mysafe/internal/safefile"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

// envSigner holds the contact card of the person whose bundle --bundle reads.
const envSigner = "MYSAFE_SIGNER"

// bundleSource is where `reveal` and `exec` read values from instead of the
// vault: a share bundle addressed to this job's own identity, checked
// against the sender's contact card. Path is empty for the vault.
type bundleSource struct {
	Path   string
	Signer string // the card; "" means MYSAFE_SIGNER
}

// addFlags adds --bundle and --signer to cmd.
func (b *bundleSource) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&b.Path, "bundle", "", "read values from this share `FILE` instead of a vault (CI: unlock with MYSAFE_IDENTITY set to the job's own age identity)")
	cmd.Flags().StringVar(&b.Signer, "signer", "", "with --bundle, the sender's contact `CARD` (as `mysafe key` prints it; default MYSAFE_SIGNER)")
}

// finder opens the bundle and returns a lookup over its records. The
// identity is the job's own age identity from MYSAFE_IDENTITY or
// MYSAFE_IDENTITY_FILE; nothing is asked, and nothing is written.
func (b *bundleSource) finder(f *Factory) (ref.Finder, error) {
	card := b.Signer
	if card == "" {
		card = f.Getenv(envSigner)
	}
	if strings.TrimSpace(card) == "" {
		return nil, withHint(errUsage, errors.New("--bundle needs the sender's contact card"),
			"give it with --signer CARD or MYSAFE_SIGNER; the sender prints it with `mysafe key`")
	}
	idText := f.Getenv(envIdentity)
	if idText == "" {
		file := f.Getenv(envIdentityFile)
		if file == "" {
			return nil, withHint(errLocked, errors.New("--bundle needs the age identity the bundle was shared to"),
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
	data, err := readBundleFile(b.Path)
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
	return func(r string) (*secret.Record, error) { return secret.Find(recs, r) }, nil
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
