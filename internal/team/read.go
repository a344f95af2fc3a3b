package team

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

// File is one file of a working copy.
type File struct {
	Path string
	Data []byte
}

// Read is what ReadCheckout found.
type Read struct {
	// Records holds the newest readable revision of every record.
	Records []*secret.Record
	// Warnings are files skipped, and records of which a newer revision
	// exists that is not addressed to the reader.
	Warnings []string
}

// ReadCheckout reads the records of a team working copy for a reader with
// no vault, such as a CI job holding only its own age identity: files
// addressed to one of identities, signed by one of signers (contacts made
// from the cards the job pins), whose every record is owned and signed by
// that same signer. Of each record it keeps the highest revision. Other
// files are skipped with a warning: the repository cannot make the job use
// anything a pinned signer did not sign for it, but it can withhold files,
// and the job has no memory to notice an older commit.
func ReadCheckout(files []File, identities []age.Identity, signers []share.Contact, now time.Time) (*Read, error) {
	if len(signers) == 0 {
		return nil, errors.New("no signer card to check the files against")
	}
	best := map[string]share.Record{}
	unreadable := map[string]uint64{}
	res := &Read{}
	warn := func(p string, format string, a ...any) {
		res.Warnings = append(res.Warnings, p+": "+fmt.Sprintf(format, a...))
	}
	for _, f := range files {
		rf, ok := ParseRecordPath(f.Path)
		if !ok {
			continue
		}
		if err := rf.CheckContent(f.Data); err != nil {
			warn(f.Path, "skipped: %v", err)
			continue
		}
		o, err := share.Open(f.Data, identities, now, share.OpenOptions{})
		if errors.Is(err, share.ErrNotAddressed) {
			unreadable[rf.UID] = max(unreadable[rf.UID], rf.Revision)
			continue
		}
		if err != nil {
			warn(f.Path, "skipped: %v", err)
			continue
		}
		sender, err := share.IdentifySender(o, signers, "")
		if err != nil || sender.Contact == nil {
			warn(f.Path, "skipped: not signed by a signer card you gave (signed by %s)", o.SignerFingerprint)
			continue
		}
		if len(o.Payload.Records) != 1 || o.Payload.Records[0].UID != rf.UID || o.Payload.Records[0].Revision != rf.Revision {
			warn(f.Path, "skipped: its content is not what its name says")
			continue
		}
		rec := o.Payload.Records[0]
		if !sender.Contact.HasKey(rec.OwnerKey) || rec.OwnerSigner != sender.Contact.Signing {
			warn(f.Path, "skipped: %q is not signed by its owner", rec.Name)
			continue
		}
		if cur, ok := best[rec.UID]; !ok || rec.Revision > cur.Revision || rec.Revision == cur.Revision && rec.UpdatedAt.After(cur.UpdatedAt) {
			best[rec.UID] = rec
		}
	}
	for uid, rec := range best {
		res.Records = append(res.Records, rec.Secret())
		if n := unreadable[uid]; n > rec.Revision {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: revision %d is in the repository but not addressed to you; using revision %d", rec.Name, n, rec.Revision))
		}
	}
	slices.SortFunc(res.Records, func(a, b *secret.Record) int { return strings.Compare(a.UID, b.UID) })
	slices.Sort(res.Warnings)
	return res, nil
}
