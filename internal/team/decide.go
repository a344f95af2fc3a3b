package team

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

// ErrRefused is wrapped by the reason of every refused record file.
var ErrRefused = errors.New("refused")

// Verdict is what Decide makes of one record file.
type Verdict int

// The verdicts.
const (
	// NotForMe: the file is encrypted to other people. Nothing to do.
	NotForMe Verdict = iota + 1
	// Import: the file is good; store the records of Plan.
	Import
	// Older: a genuine revision older than one already accepted (files can
	// arrive out of order). Nothing to do.
	Older
	// Conflict: the record changed here too; the user must choose. The
	// file is kept for the next sync.
	Conflict
	// Refused: the file is forged, renamed, damaged or from someone who may
	// not make the change. Err says why; nothing of it is stored.
	Refused
	// Unpinned: the file is signed by someone the user has not pinned as a
	// member (yet). Err says who; it waits, unread, until they are pinned.
	Unpinned
)

// Env is what Decide needs to know of the vault.
type Env struct {
	Identities []age.Identity
	// Self lists the user's own sharing keys.
	Self []string
	// Contacts is the user's whole address book; Team says who of them
	// is a member.
	Contacts []share.Contact
	Team     *State
	Records  []*secret.Record
	Now      time.Time
	Resolve  share.Resolution
}

// Outcome is Decide's answer for one file.
type Outcome struct {
	Path    string
	Verdict Verdict
	// Err says why a file was refused, wrapping ErrRefused; for a
	// conflict, the share.StepError.
	Err error
	// Plan is what importing does, for Import and Conflict.
	Plan *share.ImportPlan
	// Opened is the bundle, once it opened.
	Opened *share.Opened
	// Sender is the member who signed the bundle, once known.
	Sender string
}

func refused(p string, format string, a ...any) Outcome {
	return Outcome{Path: p, Verdict: Refused, Err: fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, a...))}
}

// Decide says what to do with the record file at path p holding data. The
// rules, in order:
//
//   - the name must be one RecordPath makes, and the content the one it was
//     made for (a file copied under another name is refused);
//   - a file none of the user's keys opens is not for them;
//   - the bundle must open and check (share.Open), hold exactly one record,
//     the one and the revision its name says;
//   - it must be signed by a member the user did not remove; a file
//     signed by someone not pinned as a member (yet) waits, Unpinned;
//   - a revision older than the highest one accepted for the record is
//     ignored (it was genuine once; files arrive in any order);
//   - a revision of a record owned by a removed member is refused, whoever
//     delivers it;
//   - then the import rules of sharing decide (share.PlanImport): owner
//     signatures against the pinned cards, permissions, conflicts; and
//     what sharing would store as "(unverified)" is refused.
func Decide(p string, data []byte, env Env) Outcome {
	f, ok := ParseRecordPath(p)
	if !ok {
		return refused(p, "not a record file name")
	}
	if err := f.CheckContent(data); err != nil {
		return Outcome{Path: p, Verdict: Refused, Err: fmt.Errorf("%w: %w", ErrRefused, err)}
	}
	o, err := share.Open(data, env.Identities, env.Now, share.OpenOptions{Self: env.Self})
	if errors.Is(err, share.ErrNotAddressed) {
		return Outcome{Path: p, Verdict: NotForMe}
	}
	if err != nil {
		return Outcome{Path: p, Verdict: Refused, Err: fmt.Errorf("%w: %w", ErrRefused, err)}
	}
	out := Outcome{Path: p, Opened: o}
	if len(o.Payload.Records) != 1 {
		return refused(p, "holds %d records, not one", len(o.Payload.Records))
	}
	rec := o.Payload.Records[0]
	if rec.UID != f.UID || rec.Revision != f.Revision {
		return refused(p, "holds revision %d of record %s, not what its name says", rec.Revision, rec.UID)
	}
	sender, err := share.IdentifySender(o, env.Contacts, "")
	if err != nil {
		return Outcome{Path: p, Verdict: Refused, Err: fmt.Errorf("%w: %w", ErrRefused, err)}
	}
	if sender.Contact == nil {
		return Outcome{Path: p, Verdict: Unpinned, Err: fmt.Errorf("signed by %s, whom you have not pinned as a member", o.SignerFingerprint)}
	}
	out.Sender = sender.Contact.Name
	m := env.Team.Member(sender.Contact.Name)
	switch {
	case m == nil:
		return Outcome{Path: p, Verdict: Unpinned, Err: fmt.Errorf("signed by your contact %s, whom you have not pinned as a member", sender.Contact.Name)}
	case m.Removed():
		return refused(p, "signed by %s, whom you removed from the team on %s", m.Name, m.RemovedAt.UTC().Format(time.DateOnly))
	}
	if acc := env.Team.Accepted[rec.UID]; rec.Revision < acc {
		out.Verdict = Older
		return out
	}
	if owner := ownerMember(env, rec.OwnerKey); owner != nil && owner.Removed() {
		return refused(p, "a revision of %q, owned by %s, whom you removed from the team on %s", rec.Name, owner.Name, owner.RemovedAt.UTC().Format(time.DateOnly))
	}
	plan := share.PlanImport(o, sender, share.VaultState{Self: env.Self, Contacts: env.Contacts, Records: env.Records}, env.Resolve)
	out.Plan = plan
	for _, s := range plan.Steps {
		if (s.Action == share.ActionAdd || s.Action == share.ActionUpdate) && s.Record != nil && s.Record.OwnerUnverified {
			// Sharing stores such a record as "(unverified)"; a team takes
			// nothing its owner did not sign.
			return refused(p, "%q is not signed by its owner %s, whose card you did not pin", rec.Name, rec.Owner)
		}
	}
	if err := plan.Err(); err != nil {
		if errors.Is(err, share.ErrConflict) {
			out.Verdict, out.Err = Conflict, err
			return out
		}
		out.Verdict, out.Err = Refused, fmt.Errorf("%w: %w", ErrRefused, err)
		return out
	}
	out.Verdict = Import
	return out
}

// Problem describes a refused file for the user: its path and the reason,
// without the ErrRefused prefix.
func (o Outcome) Problem() string {
	return strings.TrimPrefix(o.Err.Error(), ErrRefused.Error()+": ")
}

// ownerMember returns the member whose pinned contact holds the sharing key
// key, or nil.
func ownerMember(env Env, key string) *Member {
	for i := range env.Contacts {
		if env.Contacts[i].HasKey(key) {
			return env.Team.Member(env.Contacts[i].Name)
		}
	}
	return nil
}
