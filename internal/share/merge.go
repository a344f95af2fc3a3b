package share

import (
	"fmt"
	"slices"

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

// Incoming is one record of an opened bundle, with what Decide needs to
// know about the bundle and the importing user.
type Incoming struct {
	Record Record
	// Permission is the bundle's permission, view or edit.
	Permission secret.Permission
	// SenderKeys are the sender's public keys, and only when the caller has
	// verified them: Opened.SenderKeys() after Opened.SentBy returned true
	// for a contact. Leave it empty for an unknown signer or an unsigned
	// bundle; such a bundle can add records but never change existing ones.
	SenderKeys []string
	// Self lists the importing user's own sharing keys, classic and
	// post-quantum.
	Self []string
}

// Decision is the outcome of Decide.
type Decision struct {
	Action Action
	// Reason explains the action in a lower-case phrase for the user, such
	// as "updated to revision 4".
	Reason string
	// Record is the record to store for ActionAdd and ActionUpdate. For
	// ActionConflict it is what taking the bundle's version would store, for
	// a caller that lets the user choose it. It is nil otherwise. A record
	// to add has no ID yet: the caller assigns secret.NewID().
	Record *secret.Record
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

// Decide says what importing in does, given local, the vault's copy of the
// record with the same UID, or nil when there is none. It changes nothing:
// the caller stores Decision.Record. The rules:
//
//   - No local copy: add it, with the bundle's permission. Refused when the
//     record claims to be the importing user's own (owner_key is one of
//     Self): no one else can hand you back a record you own but lost.
//   - The bundle must name the same owner as the local copy; a record never
//     changes owner through a bundle.
//   - The bundle's revision is not newer than the last one synced
//     (local.SyncedRevision), or its content equals the local content:
//     unchanged. If the verified sender is the owner and the bundle grants a
//     different permission, at a revision not older than the one synced, the
//     permission alone is updated: that is how an owner upgrades a
//     recipient from view to edit or back.
//   - Otherwise the bundle is newer and different. Only the owner may
//     change a record held by others, and only a recipient the owner gave
//     edit access (an unrevoked edit entry in the owner's access list) may
//     change the owner's record: anyone else is refused, even a recipient
//     holding the record with edit permission, because every holder knows
//     the record's UID and could otherwise forge "edits" for the others.
//     Editors send their changes to the owner, who shares them on.
//   - If the local copy also changed since the last sync
//     (local.Revision > local.SyncedRevision): conflict.
//   - Otherwise: update; the stored record takes the bundle's content and
//     revision and counts it as synced.
func Decide(local *secret.Record, in Incoming) Decision {
	rec := in.Record
	self := func(key string) bool {
		return slices.ContainsFunc(in.Self, func(s string) bool { return sameKey(s, key) })
	}
	sentBy := func(key string) bool {
		return slices.ContainsFunc(in.SenderKeys, func(s string) bool { return sameKey(s, key) })
	}
	perm := in.Permission
	if perm != secret.PermEdit {
		perm = secret.PermView
	}

	if local == nil {
		if self(rec.OwnerKey) {
			return refuse("%q says you own it, but your vault has no such record", rec.Name)
		}
		r := rec.Secret()
		r.Permission = perm
		r.SyncedRevision = r.Revision
		return Decision{Action: ActionAdd, Reason: fmt.Sprintf("new record shared with %s permission", perm), Record: r}
	}

	if local.Mine() {
		if !self(rec.OwnerKey) {
			return refuse("%q is yours, but the bundle says %s owns it", local.Name, ownerLabel(rec.Owner, rec.OwnerKey))
		}
	} else if !sameKey(rec.OwnerKey, local.OwnerKey) {
		return refuse("%q is owned by %s, but the bundle says %s owns it", local.Name, ownerLabel(local.Owner, local.OwnerKey), ownerLabel(rec.Owner, rec.OwnerKey))
	}
	fromOwner := !local.Mine() && sentBy(local.OwnerKey)

	same := sameContent(local, rec)
	if rec.Revision <= local.SyncedRevision || same {
		if fromOwner && perm != local.Permission && rec.Revision >= local.SyncedRevision {
			r := local.Clone()
			r.Permission = perm
			return Decision{Action: ActionUpdate, Reason: fmt.Sprintf("permission changed from %s to %s", local.Permission, perm), Record: r}
		}
		if same {
			return Decision{Action: ActionUnchanged, Reason: "already up to date"}
		}
		return Decision{Action: ActionUnchanged, Reason: fmt.Sprintf("bundle has revision %d, your copy already has revision %d", rec.Revision, local.SyncedRevision)}
	}

	switch {
	case local.Mine():
		if !slices.ContainsFunc(local.Access, func(a secret.Access) bool {
			return !a.Revoked() && a.Permission == secret.PermEdit && sentBy(a.Recipient)
		}) {
			return refuse("%q is yours and the sender has no edit access to it", local.Name)
		}
	case !fromOwner:
		return refuse("%q can only be changed by its owner, %s; send your changes to them", local.Name, ownerLabel(local.Owner, local.OwnerKey))
	}

	r := local.Clone()
	r.Name, r.URL, r.ClientID = rec.Name, rec.URL, rec.ClientID
	r.ClientSecret = secret.NewValueBytes(rec.ClientSecret.Bytes())
	r.Identifier, r.Method, r.Notes = rec.Identifier, rec.Method, rec.Notes
	r.Tags = slices.Clone(rec.Tags)
	r.UpdatedAt = rec.UpdatedAt
	r.Revision, r.SyncedRevision = rec.Revision, rec.Revision
	if fromOwner {
		r.Owner = rec.Owner
		r.Permission = perm
	}

	if local.Revision > local.SyncedRevision {
		return Decision{
			Action: ActionConflict,
			Reason: fmt.Sprintf("%q changed both here (revision %d) and in the bundle (revision %d) since revision %d",
				local.Name, local.Revision, rec.Revision, local.SyncedRevision),
			Record: r,
		}
	}
	return Decision{Action: ActionUpdate, Reason: fmt.Sprintf("updated to revision %d", rec.Revision), Record: r}
}

func refuse(format string, args ...any) Decision {
	return Decision{Action: ActionRefuse, Reason: fmt.Sprintf(format, args...)}
}

// sameContent reports whether the shared, user-visible fields agree.
func sameContent(local *secret.Record, rec Record) bool {
	return local.Name == rec.Name && local.URL == rec.URL && local.ClientID == rec.ClientID &&
		local.ClientSecret.Equal(rec.ClientSecret) && local.Identifier == rec.Identifier &&
		local.Method == rec.Method && local.Notes == rec.Notes && slices.Equal(local.Tags, rec.Tags)
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
