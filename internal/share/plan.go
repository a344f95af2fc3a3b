package share

import (
	"errors"
	"fmt"

	"github.com/mysafe/mysafe/internal/secret"
)

// Resolution is the user's choice for records in conflict.
type Resolution string

// The choices for a conflict.
const (
	// ResolveNone stops the import at a conflict.
	ResolveNone Resolution = ""
	// ResolveTheirs takes the bundle's version.
	ResolveTheirs Resolution = "theirs"
	// ResolveMine keeps the local version and marks it as the newer one,
	// so sharing it again supersedes the bundle's version everywhere.
	ResolveMine Resolution = "mine"
)

// VaultState is what the import rules need to know of the importing vault.
type VaultState struct {
	// Self lists the user's own sharing keys, classic and post-quantum.
	Self []string
	// Contacts is the user's address book.
	Contacts []Contact
	// Records is every record in the vault.
	Records []*secret.Record
}

// Step is what importing one record of a bundle does.
type Step struct {
	Decision
	// Name is the record's name as the bundle gives it.
	Name string
}

// ImportPlan is what importing a bundle would do, from PlanImport. Nothing
// is written until the caller stores the Records of the Steps.
type ImportPlan struct {
	Steps []Step
	// From describes the sender for the user: a verified contact's name, or
	// the name the bundle claims, marked as unverified.
	From string
}

// Err returns the first refusal or unresolved conflict among the steps, or
// nil when the whole bundle can be imported. A bundle is imported whole or
// not at all.
func (p *ImportPlan) Err() error {
	for _, s := range p.Steps {
		if s.Err() != nil {
			return &StepError{Name: s.Name, Decision: s.Decision}
		}
	}
	return nil
}

// StepError is a refused or conflicting record of an import plan. It
// wraps ErrNotPermitted or ErrConflict; its message is the record's name and
// the reason.
type StepError struct {
	Name     string
	Decision Decision
}

func (e *StepError) Error() string { return e.Name + ": " + e.Decision.Reason }

// Unwrap returns ErrConflict or ErrNotPermitted.
func (e *StepError) Unwrap() error { return errors.Unwrap(e.Decision.Err()) }

// PlanImport decides what importing the opened bundle does to a vault in
// state st, for the sender IdentifySender found (sender.Contact is nil for a
// stranger or an unsigned bundle). Each record goes through DecideRecord,
// conflicts through resolve, then the names and identifiers it would store
// are checked against the vault's others:
//
//   - an identifier that looks like another record's identifier (same
//     confusable skeleton, case or width; see Lookalike) is refused, naming
//     both, because identifiers must resolve to one record;
//   - a name that looks like another record's name is stored with its
//     sender, "payments (from dave)", so the user's own names keep
//     resolving to their own records.
//
// Every check is linear in the size of the vault plus the bundle.
func PlanImport(o *Opened, sender SenderCheck, st VaultState, resolve Resolution) *ImportPlan {
	plan := &ImportPlan{From: DescribeSender(o, sender)}
	byUID := make(map[string]*secret.Record, len(st.Records))
	idents := make(map[string]*secret.Record, len(st.Records))
	names := make(map[string]*secret.Record, len(st.Records))
	for _, r := range st.Records {
		byUID[r.UID] = r
		if r.Identifier != "" {
			idents[lookalikeKey(r.Identifier)] = r
		}
		names[lookalikeKey(r.Name)] = r
	}
	fromName := o.Payload.Sender.Name
	if sender.Contact != nil {
		fromName = sender.Contact.Name
	}
	for _, rec := range o.Payload.Records {
		local := byUID[rec.UID]
		d := DecideRecord(local, Incoming{
			Record: rec,
			Owner:  contactWithKey(st.Contacts, rec.OwnerKey),
			Sender: sender.Contact,
			Self:   st.Self,
		})
		if d.Action == ActionConflict && resolve != ResolveNone {
			d = Resolve(local, d, rec, resolve)
		}
		if r := d.Record; r != nil && (d.Action == ActionAdd || d.Action == ActionUpdate) {
			if other := idents[lookalikeKey(r.Identifier)]; r.Identifier != "" && other != nil && other.UID != r.UID {
				d = refuse("its identifier %q looks like %q, the identifier of %q in your vault; ask %s to choose another identifier",
					r.Identifier, other.Identifier, other.Name, fromName)
			} else if other := names[lookalikeKey(r.Name)]; other != nil && other.UID != r.UID && !r.Mine() {
				r.Name = FromSuffix(r.Name, fromName)
			}
			if d.Record != nil {
				if d.Record.Identifier != "" {
					idents[lookalikeKey(d.Record.Identifier)] = d.Record
				}
				names[lookalikeKey(d.Record.Name)] = d.Record
			}
		}
		plan.Steps = append(plan.Steps, Step{Decision: d, Name: rec.Name})
	}
	return plan
}

// Resolve applies the user's choice to a conflict decision.
func Resolve(local *secret.Record, d Decision, rec Record, choice Resolution) Decision {
	switch choice {
	case ResolveTheirs:
		return Decision{Action: ActionUpdate, Reason: "conflict resolved: took the bundle's version", Record: d.Record, Verified: d.Verified}
	case ResolveMine:
		r := local.Clone()
		r.SyncedRevision = max(local.SyncedRevision, rec.Revision)
		r.Revision = max(local.Revision, rec.Revision) + 1
		return Decision{Action: ActionUpdate, Reason: "conflict resolved: kept your version; share it again so the others get it", Record: r}
	}
	return d
}

// DescribeSender says who sent a bundle, for the user: a verified contact,
// or the name the bundle claims, marked as unverified or unsigned.
func DescribeSender(o *Opened, sender SenderCheck) string {
	switch {
	case sender.Contact != nil:
		return "contact " + sender.Contact.Name + " (signature verified)"
	case !o.Signed:
		return fmt.Sprintf("%q (unsigned, unverified)", o.Payload.Sender.Name)
	}
	return fmt.Sprintf("%q (not a contact, key %s)", o.Payload.Sender.Name, o.SignerFingerprint)
}
