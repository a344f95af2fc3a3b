package share

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

// Action is what importing one record does to the vault.
type Action int

// The possible actions, from Decide.
const (
	// ActionAdd stores a record the vault did not have.
	ActionAdd Action = iota + 1
	// ActionUpdate replaces the local copy with Decision.Record.
	ActionUpdate
	// ActionUnchanged leaves the vault alone: the local copy is already up
	// to date, or newer than the bundle's.
	ActionUnchanged
	// ActionConflict leaves the vault alone: the record changed both here
	// and in the bundle. The user must choose: to take the bundle's
	// version, store Decision.Record; to keep the local one, set its
	// SyncedRevision to the bundle's revision and its Revision above both,
	// so that sharing it again supersedes the bundle's version everywhere.
	ActionConflict
	// ActionRefuse leaves the vault alone: the sender may not make this
	// change.
	ActionRefuse
)

// String returns the action as a lower-case word for messages.
func (a Action) String() string {
	switch a {
	case ActionAdd:
		return "add"
	case ActionUpdate:
		return "update"
	case ActionUnchanged:
		return "unchanged"
	case ActionConflict:
		return "conflict"
	case ActionRefuse:
		return "refuse"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// UnverifiedSuffix follows the owner's name of a record whose owner nothing
// verified, wherever the owner is shown.
const UnverifiedSuffix = " (unverified)"

// Incoming is one record of an opened bundle, with what DecideRecord needs
// to know about the bundle and the importing user.
type Incoming struct {
	Record Record
	// Owner is the user's contact holding the record's owner_key, or nil.
	// The record is owner-verified when Owner has a signing key and
	// Record.OwnerSigner is that key.
	Owner *Contact
	// Sender is the verified sender (IdentifySender), or nil.
	Sender *Contact
	// Self lists the importing user's own sharing keys.
	Self []string
}

// Decision is the outcome of DecideRecord.
type Decision struct {
	Action Action
	// Reason explains the action in a lower-case phrase for the user, such
	// as "updated to revision 4".
	Reason string
	// Record is the record to store for ActionAdd and ActionUpdate. For
	// ActionConflict it is what taking the bundle's version would store.
	// It is nil otherwise. For an update it keeps the local ID; a record
	// to add has no ID yet: the caller assigns secret.NewID().
	Record *secret.Record
	// Verified reports that the record's revision is signed by its owner's
	// known signing key.
	Verified bool
}

// Err returns nil unless the decision is a conflict, wrapping ErrConflict,
// or a refusal, wrapping ErrNotPermitted; the message is the Reason.
func (d Decision) Err() error {
	switch d.Action {
	case ActionConflict:
		return fmt.Errorf("%w: %s", ErrConflict, d.Reason)
	case ActionRefuse:
		return fmt.Errorf("%w: %s", ErrNotPermitted, d.Reason)
	}
	return nil
}

// DecideRecord says what importing in does, given local, the vault's copy
// of the record with the same UID, or nil when there is none. It changes
// nothing. A revision number proves nothing by itself: what counts is
// whose signature a revision carries. The rules:
//
//   - A record naming one of the user's contacts as its owner must carry
//     that contact's owner signature; otherwise it is refused.
//   - A record the user owns (local.Mine): the bundle must name the user as
//     owner, and its sender must be a verified contact holding an unrevoked
//     edit entry in the user's own access list for the record. The change is
//     taken as a local change not yet shared (the owner re-issues it by
//     sharing it again, signed as owner); if the owner also changed the
//     record since the last share, or the change is based on an older
//     revision, it is a conflict. A change of the server that receives
//     the client secret (Record.TokenServer: the token URL's, else the
//     URL's) is refused, whatever else it changes: only the owner decides
//     where their secret is sent, so an editor cannot plant an endpoint of
//     their own that would receive the secret after it is rotated.
//   - An owner-verified revision: the owner must have listed the user in
//     its signed access list, whose entry gives the user's permission. It
//     replaces a local copy whose owner was unverified, whatever the
//     revision numbers; otherwise it must not change a verified owner, and
//     the usual order applies: older than the synced revision is
//     unchanged; the same revision only updates the access list and
//     permission, and only from a grant not older than the stored one;
//     newer is an update, or a conflict when the local copy changed since
//     the last sync.
//   - A revision not verified: added as unverified (view permission) when
//     new; it never changes a record whose owner is verified; it may
//     update an unverified record that names the same owner.
func DecideRecord(local *secret.Record, in Incoming) Decision {
	rec := in.Record
	isSelf := func(key string) bool {
		return slices.ContainsFunc(in.Self, func(s string) bool { return sameKey(s, key) })
	}
	verified := in.Owner != nil && in.Owner.Signing != "" && rec.OwnerSigner == in.Owner.Signing
	var mine *Access
	for i := range rec.Access {
		if isSelf(rec.Access[i].Recipient) {
			mine = &rec.Access[i]
		}
	}

	if in.Owner != nil && !verified {
		if in.Owner.Signing == "" {
			return refuse("%q names your contact %s as its owner, but you do not know their signing key to check that; add their contact card", rec.Name, in.Owner.Name)
		}
		return refuse("%q names your contact %s as its owner, but is not signed by them", rec.Name, in.Owner.Name)
	}

	switch {
	case local == nil:
		return decideNew(rec, verified, mine, isSelf)
	case local.Mine():
		return decideOwn(local, in, isSelf)
	case verified:
		return decideVerified(local, rec, mine, isSelf)
	}
	return decideUnverified(local, rec)
}

func decideNew(rec Record, verified bool, mine *Access, isSelf func(string) bool) Decision {
	switch {
	case isSelf(rec.OwnerKey):
		return refuse("%q says you own it, but your vault has no such record", rec.Name)
	case verified && mine == nil:
		return refuse("%q: its owner %s did not share it with you", rec.Name, ownerLabel(rec.Owner, rec.OwnerKey))
	case verified:
		return Decision{Action: ActionAdd, Reason: fmt.Sprintf("new record shared with %s permission", mine.Permission),
			Record: verifiedRecord(rec, mine.Permission), Verified: true}
	}
	return Decision{Action: ActionAdd, Reason: "new record, from an owner nothing verified: view permission",
		Record: unverifiedRecord(rec)}
}

// maxRevisionStep bounds how far past the owner's revision an editor's
// change may be: each edit of the editor's copy counts one, and the owner
// takes the higher revision so that every copy agrees on it. Without a
// bound an editor could push the owner's revision to the end of its range,
// where the owner's next edit wraps it to 0 (which no bundle may carry) and
// every holder takes each later revision for an older one.
const maxRevisionStep = 1 << 20

func decideOwn(local *secret.Record, in Incoming, isSelf func(string) bool) Decision {
	rec := in.Record
	if !isSelf(rec.OwnerKey) {
		return refuse("%q is yours, but the bundle says %s owns it", local.Name, ownerLabel(rec.Owner, rec.OwnerKey))
	}
	if sameContent(local, rec) {
		return Decision{Action: ActionUnchanged, Reason: "already up to date"}
	}
	editor := in.Sender != nil && slices.ContainsFunc(local.Access, func(a secret.Access) bool {
		return !a.Revoked() && a.Permission == secret.PermEdit && in.Sender.HasKey(a.Recipient)
	})
	if !editor {
		return refuse("%q is yours and the sender has no edit access to it", local.Name)
	}
	r := local.Clone()
	rec.SetContent(r)
	if was, now := local.TokenServer(), r.TokenServer(); was != now {
		ref := local.Identifier
		if ref == "" {
			ref = local.ID
		}
		return refuse("%s's change to %q would send its client secret to %s instead of %s; only you can change where it goes (`mysafe edit %s --token-url URL`)",
			in.Sender.Name, local.Name, serverLabel(now), serverLabel(was), ref)
	}
	if rec.Revision > local.Revision && rec.Revision-local.Revision > maxRevisionStep {
		return refuse("%s's change to %q claims revision %d, more than %d past yours (%d): no copy gets that far ahead",
			in.Sender.Name, local.Name, rec.Revision, maxRevisionStep, local.Revision)
	}
	r.Revision = max(rec.Revision, local.Revision+1)
	switch {
	case local.Revision > local.SyncedRevision:
		return Decision{Action: ActionConflict, Record: r, Reason: fmt.Sprintf(
			"%q changed both here (revision %d, not shared yet) and by %s", local.Name, local.Revision, in.Sender.Name)}
	case rec.Revision <= local.SyncedRevision:
		return Decision{Action: ActionConflict, Record: r, Reason: fmt.Sprintf(
			"%s changed %q starting from a revision older than %d, the one you last shared", in.Sender.Name, local.Name, local.SyncedRevision)}
	}
	return Decision{Action: ActionUpdate, Record: r, Verified: true, Reason: fmt.Sprintf(
		"changed by %s (edit access); share it again to pass the change on", in.Sender.Name)}
}

func decideVerified(local *secret.Record, rec Record, mine *Access, isSelf func(string) bool) Decision {
	if !local.OwnerUnverified && !sameKey(rec.OwnerKey, local.OwnerKey) {
		return refuse("%q is owned by %s, but the bundle says %s owns it", local.Name, ownerLabel(local.Owner, local.OwnerKey), ownerLabel(rec.Owner, rec.OwnerKey))
	}
	if mine == nil {
		return refuse("%q: its owner %s no longer lists you among the people with access", local.Name, ownerLabel(rec.Owner, rec.OwnerKey))
	}
	r := verifiedRecord(rec, mine.Permission)
	r.ID, r.LastUsedAt = local.ID, local.LastUsedAt
	if local.OwnerUnverified {
		return Decision{Action: ActionUpdate, Record: r, Verified: true,
			Reason: fmt.Sprintf("replaced by revision %d, signed by its owner %s", rec.Revision, ownerLabel(rec.Owner, rec.OwnerKey))}
	}
	if rec.Revision <= local.SyncedRevision {
		if rec.Revision == local.SyncedRevision && sameContent(local, rec) && !sameAccess(local.Access, r.Access) {
			if since := grantedAt(local.Access, isSelf); mine.GrantedAt.Before(since) {
				return Decision{Action: ActionUnchanged, Reason: fmt.Sprintf("an older bundle: your %s permission from a newer one stays", local.Permission)}
			}
			r.Name = local.Name // keep a name shown with its sender
			reason := "access list updated"
			if r.Permission != local.Permission {
				reason = fmt.Sprintf("permission changed from %s to %s", local.Permission, r.Permission)
			}
			return Decision{Action: ActionUpdate, Record: r, Verified: true, Reason: reason}
		}
		if sameContent(local, rec) {
			return Decision{Action: ActionUnchanged, Reason: "already up to date"}
		}
		return Decision{Action: ActionUnchanged, Reason: fmt.Sprintf("bundle has revision %d, your copy already has revision %d", rec.Revision, local.SyncedRevision)}
	}
	if local.Revision > local.SyncedRevision && !sameContent(local, rec) {
		return Decision{Action: ActionConflict, Record: r, Verified: true, Reason: fmt.Sprintf(
			"%q changed both here (revision %d) and in the bundle (revision %d) since revision %d",
			local.Name, local.Revision, rec.Revision, local.SyncedRevision)}
	}
	return Decision{Action: ActionUpdate, Record: r, Verified: true, Reason: fmt.Sprintf("updated to revision %d", rec.Revision)}
}

func decideUnverified(local *secret.Record, rec Record) Decision {
	if !local.OwnerUnverified {
		if sameContent(local, rec) {
			return Decision{Action: ActionUnchanged, Reason: "already up to date"}
		}
		return refuse("%q can only be changed by its owner, %s, with their signature; send your changes to them", local.Name, ownerLabel(local.Owner, local.OwnerKey))
	}
	if !sameKey(rec.OwnerKey, local.OwnerKey) {
		return refuse("%q is said to be owned by %s, but the bundle says %s owns it", local.Name, ownerLabel(local.Owner, local.OwnerKey), ownerLabel(rec.Owner, rec.OwnerKey))
	}
	if rec.Revision <= local.SyncedRevision || sameContent(local, rec) {
		return Decision{Action: ActionUnchanged, Reason: fmt.Sprintf("bundle has revision %d, your copy already has revision %d", rec.Revision, local.SyncedRevision)}
	}
	r := unverifiedRecord(rec)
	r.ID, r.LastUsedAt = local.ID, local.LastUsedAt
	if local.Revision > local.SyncedRevision {
		return Decision{Action: ActionConflict, Record: r, Reason: fmt.Sprintf(
			"%q changed both here (revision %d) and in the bundle (revision %d) since revision %d",
			local.Name, local.Revision, rec.Revision, local.SyncedRevision)}
	}
	return Decision{Action: ActionUpdate, Record: r, Reason: fmt.Sprintf("updated to revision %d (owner still unverified)", rec.Revision)}
}

// verifiedRecord is what the vault stores for an owner-verified revision:
// the owner's content and access list, with the permission the owner gave.
func verifiedRecord(rec Record, perm secret.Permission) *secret.Record {
	r := rec.Secret()
	r.Permission = perm
	r.SyncedRevision = rec.Revision
	r.Access = append(r.Access, secret.Access{Name: rec.Owner, Recipient: rec.OwnerKey, Permission: secret.PermOwner})
	for _, a := range rec.Access {
		r.Access = append(r.Access, secret.Access{Name: a.Name, Recipient: a.Recipient, Permission: a.Permission, GrantedAt: a.GrantedAt})
	}
	return r
}

// unverifiedRecord is what the vault stores for a revision whose owner
// nothing verified: view permission, the owner marked as unverified.
func unverifiedRecord(rec Record) *secret.Record {
	r := verifiedRecord(rec, secret.PermView)
	r.Owner += UnverifiedSuffix
	r.Access[0].Name = r.Owner
	r.OwnerUnverified = true
	return r
}

// grantedAt returns when the user's own access entry was granted, or the
// zero time.
func grantedAt(access []secret.Access, isSelf func(string) bool) time.Time {
	for _, a := range access {
		if isSelf(a.Recipient) && !a.Revoked() {
			return a.GrantedAt
		}
	}
	return time.Time{}
}

// sameAccess reports whether two access lists give the same people the
// same permissions; when they were granted does not matter.
func sameAccess(a, b []secret.Access) bool {
	return slices.EqualFunc(a, b, func(x, y secret.Access) bool {
		return x.Name == y.Name && x.Recipient == y.Recipient && x.Permission == y.Permission && x.Revoked() == y.Revoked()
	})
}

func refuse(format string, args ...any) Decision {
	return Decision{Action: ActionRefuse, Reason: fmt.Sprintf(format, args...)}
}

// sameContent reports whether the shared, user-visible fields agree. A
// local name shown with its sender ("payments (from dave)") counts as the
// bundle's name.
func sameContent(local *secret.Record, rec Record) bool {
	name := local.Name == rec.Name || strings.HasPrefix(local.Name, rec.Name+" (from ")
	return name && local.URL == rec.URL && local.ClientID == rec.ClientID &&
		local.ClientSecret.Equal(rec.ClientSecret.Value) && local.Identifier == rec.Identifier &&
		local.Method == rec.Method && local.Notes == rec.Notes && slices.Equal(local.Tags, rec.Tags) &&
		local.TokenURL == rec.TokenURL && local.TokenAuth == rec.TokenAuth
}

// serverLabel shows a TokenServer without the default port.
func serverLabel(s string) string {
	s = strings.TrimSuffix(strings.TrimSuffix(s, ":443"), ":80")
	if s == "" {
		return "nowhere"
	}
	return s
}

func ownerLabel(name, key string) string {
	if name != "" {
		return name
	}
	return abbrev(key)
}

// CanSend returns nil if the vault's user may send r in a bundle to the
// holder of the sharing key to. The owner may send a record to anyone. A
// holder with edit permission may send it only back to its owner, which is
// how edits reach the owner; a holder with view permission may not send it.
// Otherwise it returns an error wrapping ErrNotPermitted.
//
// This is a rule of honest software, not of cryptography: whoever can read a
// secret can copy it.
func CanSend(r *secret.Record, to string) error {
	switch {
	case r.Mine():
		return nil
	case r.Permission == secret.PermEdit && sameKey(to, r.OwnerKey):
		return nil
	case r.Permission == secret.PermEdit:
		return fmt.Errorf("%w: %q is shared with you by %s; you can send your changes back to them, but only they can share it with others",
			ErrNotPermitted, r.Name, ownerLabel(r.Owner, r.OwnerKey))
	}
	return fmt.Errorf("%w: %q is shared with you by %s with view permission; only they can share it",
		ErrNotPermitted, r.Name, ownerLabel(r.Owner, r.OwnerKey))
}
