package share

import (
	"errors"
	"fmt"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

// ErrWouldLower means sharing again would lower a recipient from edit to
// view while the user did not choose the permission.
var ErrWouldLower = errors.New("would lower a permission")

// ShareRequest is what sharing records with recipients needs.
type ShareRequest struct {
	// Records are the records to share, as the vault holds them. PlanShare
	// works on copies.
	Records    []*secret.Record
	Recipients []Recipient
	Contacts   []Contact
	// Self is the user: their name and classic sharing key.
	Self       Party
	Permission secret.Permission
	// PermissionChosen is true when the user chose Permission; without it,
	// lowering an editor to view is refused with ErrWouldLower.
	PermissionChosen bool
	Now              time.Time
}

// SharePlan is what sharing does, from PlanShare.
type SharePlan struct {
	// Records are the records to store once the bundle is written: the
	// user's own with the recipients' access granted, every one with its
	// revision counted as synced.
	Records []*secret.Record
	// Payload holds the records as the bundle carries them.
	Payload []Record
	// Regranted lists, for messages, recipients whose revoked access the
	// share gives back: one entry per record and recipient.
	Regranted []Regrant
}

// Regrant is a recipient whose revoked access a share gives back.
type Regrant struct {
	Recipient string // their name
	Record    string // the record's name
	RevokedAt time.Time
}

// ShareError is a refusal of PlanShare about one record; it wraps
// ErrNotPermitted (see CanSend) or ErrWouldLower.
type ShareError struct {
	Record *secret.Record
	Err    error
}

func (e *ShareError) Error() string { return e.Err.Error() }
func (e *ShareError) Unwrap() error { return e.Err }

// KeyOf returns the key a recipient is known by in records' access lists
// and as an owner: a contact's classic sharing key, whichever of their
// keys a bundle is encrypted to, or the recipient's key itself.
func KeyOf(contacts []Contact, to Recipient) string {
	if c := contactWithKey(contacts, to.Key()); c != nil {
		return c.Key
	}
	return to.Key()
}

// PlanShare decides what sharing req.Records with req.Recipients does. The
// rules: each record's client secret must be text a bundle can carry
// (UTF-8); each record must pass CanSend for each recipient; a recipient with
// edit access to one of the user's records is not lowered to view unless
// the user chose the permission; each recipient gets (or gets back) an
// access entry with the permission, granted now, on the user's own records,
// before they are signed, since the access list is part of what the owner
// signs. It returns a *ShareError for a refusal.
func PlanShare(req ShareRequest) (*SharePlan, error) {
	plan := &SharePlan{}
	for _, orig := range req.Records {
		r := orig.Clone()
		if err := CanCarry(r.ClientSecret); err != nil {
			return nil, &ShareError{Record: orig, Err: err}
		}
		for _, to := range req.Recipients {
			key := KeyOf(req.Contacts, to)
			if err := CanSend(r, key); err != nil {
				return nil, &ShareError{Record: orig, Err: err}
			}
			for _, a := range r.Access {
				switch {
				case a.Recipient != key:
				case a.Revoked():
					plan.Regranted = append(plan.Regranted, Regrant{Recipient: to.Name, Record: r.Name, RevokedAt: a.RevokedAt})
				case r.Mine() && a.Permission == secret.PermEdit && req.Permission == secret.PermView && !req.PermissionChosen:
					return nil, &ShareError{Record: orig, Err: fmt.Errorf("%w: %s has edit permission on %s", ErrWouldLower, to.Name, r.Name)}
				}
			}
			if r.Mine() {
				grant(r, to.Name, key, req.Permission, req.Now)
			}
		}
		plan.Payload = append(plan.Payload, RecordFromSecret(r, req.Self))
		r.SyncedRevision = r.Revision
		plan.Records = append(plan.Records, r)
	}
	return plan, nil
}

// grant adds or renews the access entry of the holder of key.
func grant(r *secret.Record, name, key string, perm secret.Permission, now time.Time) {
	for i, a := range r.Access {
		if a.Recipient == key {
			r.Access[i].Name, r.Access[i].Permission, r.Access[i].GrantedAt, r.Access[i].RevokedAt = name, perm, now, time.Time{}
			return
		}
	}
	r.Access = append(r.Access, secret.Access{Name: name, Recipient: key, Permission: perm, GrantedAt: now})
}
