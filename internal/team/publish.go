package team

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

// Publication is one record file to write.
type Publication struct {
	Record *secret.Record
	// To are the members it is encrypted to (the user is added by the
	// caller).
	To []share.Contact
	// Edit is true for an editor's change on its way to the record's
	// owner; false for the owner's own revision.
	Edit bool
	// Key is what PublishedKey says of the record, to store once the file
	// is pushed.
	Key string
}

// PublishedKey identifies what a publication of r carries that the owner
// signs: its revision and its access list. When it differs from what was
// last published, the record is published again.
func PublishedKey(r *secret.Record) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", r.Revision)
	for _, a := range r.Access {
		if a.Revoked() || a.Permission == secret.PermOwner {
			continue
		}
		fmt.Fprintf(h, "%s %s %s %s\n", a.Recipient, a.Permission, a.Name, a.GrantedAt.UTC().Format(time.RFC3339Nano))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// PlanPublish says which records to publish, given every record of the
// vault, the team state and the user's contacts:
//
//   - the user's own records shared through the team, when their revision
//     or access list changed since they were last published, or the file
//     they were last published in is no longer in the repository (present
//     says), encrypted to the members (not removed) holding unrevoked
//     access;
//   - records received through the team with edit permission and changed
//     here since they were last synced, encrypted to their owner, when the
//     owner is a member not removed.
//
// The records are returned as the vault holds them; the caller stores
// SyncedRevision and Published once the files are pushed.
func PlanPublish(records []*secret.Record, st *State, contacts []share.Contact, present func(path string) bool) []Publication {
	members := map[string]share.Contact{}
	for _, m := range st.Active() {
		if i, ok := share.FindContact(contacts, m.Name); ok {
			members[contacts[i].Key] = contacts[i]
		}
	}
	holder := func(key string) (share.Contact, bool) {
		for _, c := range members {
			if c.HasKey(key) {
				return c, true
			}
		}
		return share.Contact{}, false
	}
	var out []Publication
	for _, r := range records {
		switch {
		case r.Mine() && st.IsShared(r.UID):
			key := PublishedKey(r)
			if last, ok := st.Published[r.UID]; ok && last.Key == key && present(last.File) {
				continue
			}
			p := Publication{Record: r, Key: key}
			for _, a := range r.Access {
				if a.Revoked() || a.Permission == secret.PermOwner {
					continue
				}
				if c, ok := holder(a.Recipient); ok {
					p.To = append(p.To, c)
				}
			}
			out = append(out, p)
		case !r.Mine() && r.Permission == secret.PermEdit && st.Accepted[r.UID] > 0 && r.Revision > r.SyncedRevision:
			if c, ok := holder(r.OwnerKey); ok {
				out = append(out, Publication{Record: r, To: []share.Contact{c}, Edit: true, Key: PublishedKey(r)})
			}
		}
	}
	slices.SortFunc(out, func(a, b Publication) int { return strings.Compare(a.Record.UID, b.Record.UID) })
	return out
}

// Recipients returns the keys to encrypt a publication to: the members'
// post-quantum keys and the user's own when every member has one (every
// member with a card does), otherwise everyone's classic keys, since age
// cannot mix the two.
func Recipients(to []share.Contact, selfName, self, selfPQ string) ([]share.Recipient, error) {
	pq := selfPQ != ""
	for _, c := range to {
		pq = pq && c.PQ != ""
	}
	var out []share.Recipient
	add := func(name, key string) error {
		r, err := share.ParseRecipient(key)
		if err != nil {
			return err
		}
		r.Name = name
		out = append(out, r)
		return nil
	}
	for _, c := range to {
		key := c.Key
		if pq {
			key = c.PQ
		}
		if err := add(c.Name, key); err != nil {
			return nil, err
		}
	}
	key := self
	if pq {
		key = selfPQ
	}
	return out, add(selfName, key)
}
