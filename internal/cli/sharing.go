package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/team"
	"github.com/mysafe/mysafe/internal/vault"
)

// This file is the ground floor of the commands that share: share, revoke,
// import of a bundle, team and sync. It reads the vault's sharing side in
// one step (the user's profile, public keys and contacts), resolves
// recipients, and maps the sharing rules' errors to exit codes; the rules
// themselves are in internal/share.

// sharingSide is the vault's sharing side, as the sharing commands read it
// before anything else: the user's profile (their name and secret keys),
// their public keys and their contacts.
type sharingSide struct {
	profile  *vault.Profile
	keys     vault.PublicKeys
	contacts []share.Contact
}

// readSharing reads the vault's sharing side in tx.
func readSharing(tx *vault.Tx) (*sharingSide, error) {
	profile, err := tx.Profile()
	if err != nil {
		return nil, err
	}
	keys, err := tx.PublicKeys()
	if err != nil {
		return nil, err
	}
	contacts, err := loadContacts(tx)
	if err != nil {
		return nil, err
	}
	return &sharingSide{profile: profile, keys: keys, contacts: contacts}, nil
}

// self is the user as a bundle's records name them.
func (s *sharingSide) self() share.Party {
	return share.Party{Name: s.profile.Owner, Recipient: s.keys.Sharing}
}

// sender is the user as the sender of a bundle.
func (s *sharingSide) sender() share.Sender {
	return share.Sender{Name: s.profile.Owner, Recipient: s.keys.Sharing, PQRecipient: s.keys.SharingPQ}
}

// card returns the user's contact card, as `mysafe key` prints it.
func (s *sharingSide) card() (string, error) {
	return share.MakeCard(s.keys.Sharing, s.keys.SharingPQ, s.profile.SigningKey())
}

// member returns the user as a member of a team: their name and their
// card's keys.
func (s *sharingSide) member(now time.Time) (share.Contact, error) {
	card, err := s.card()
	if err != nil {
		return share.Contact{}, err
	}
	return team.PinnedContact(s.profile.Owner, card, now)
}

// identities returns the user's sharing identities and their public keys.
func (s *sharingSide) identities() ([]age.Identity, []string, error) {
	x, err := age.ParseX25519Identity(s.profile.SharingIdentity)
	if err != nil {
		return nil, nil, err
	}
	pq, err := age.ParseHybridIdentity(s.profile.PQIdentity)
	if err != nil {
		return nil, nil, err
	}
	return []age.Identity{x, pq}, []string{x.Recipient().String(), pq.Recipient().String()}, nil
}

// resolveRecipient turns a --to value into a named recipient: a contact's
// key, or a key given directly. A contact with a card is reached on their
// post-quantum key when pq is true.
func resolveRecipient(contacts []share.Contact, to string, pq bool) (share.Recipient, error) {
	if i, ok := share.FindContact(contacts, to); ok {
		key := contacts[i].Key
		if pq && contacts[i].PQ != "" {
			key = contacts[i].PQ
		}
		r, err := share.ParseRecipient(key)
		if err != nil {
			return r, err
		}
		r.Name = contacts[i].Name
		return r, nil
	}
	r, err := share.ParseRecipient(to)
	if err != nil {
		upper := strings.ToUpper(to)
		if strings.HasPrefix(upper, "AGE-SECRET-KEY-") || strings.HasPrefix(upper, "AGE-PLUGIN-") || strings.Contains(upper, "PRIVATE KEY") {
			// Never repeat a secret key in a message: it would land in logs.
			return r, usageErr(err.Error())
		}
		if !strings.HasPrefix(to, "age1") && !strings.HasPrefix(to, "ssh-") {
			return r, &exitError{class: errNotFound, msg: fmt.Sprintf("no contact named %q", to),
				hint: "add one with `mysafe contact add " + to + " CARD`, or give the public key itself"}
		}
		return r, usageErr(err.Error())
	}
	for _, c := range contacts {
		if c.HasKey(r.Key()) {
			r.Name = c.Name
		}
	}
	if r.Name == "" {
		r.Name = r.Fingerprint()
	}
	return r, nil
}

// resolveRecipients resolves every --to. Contacts with a card are reached
// on their post-quantum keys when every recipient has one, so a bundle is
// post-quantum whenever it can be.
func resolveRecipients(contacts []share.Contact, to []string) ([]share.Recipient, error) {
	pq := true
	for _, t := range to {
		key := t
		if i, ok := share.FindContact(contacts, t); ok {
			if key = contacts[i].Key; contacts[i].PQ != "" {
				continue
			}
		}
		if r, err := share.ParseRecipient(key); err == nil && r.PostQuantum() {
			continue
		}
		pq = false
	}
	var out []share.Recipient
	for _, t := range to {
		r, err := resolveRecipient(contacts, t, pq)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// shareErr maps share.PlanShare's errors to exit codes.
func shareErr(err error) error {
	se, ok := errors.AsType[*share.ShareError](err)
	switch {
	case ok && errors.Is(err, share.ErrWouldLower):
		return usageErr(strings.TrimPrefix(err.Error(), share.ErrWouldLower.Error()+": ") + "; say --permission edit to keep it or --permission view to lower it")
	case ok:
		return &exitError{class: errNotPermitted, err: fmt.Errorf("%s: %w", describe(se.Record), se.Err)}
	}
	return err
}

// revokeAccess records that from's access to the API secret ref names was
// withdrawn: `mysafe revoke REF --from NAME`, and the deprecated `mysafe
// share --revoke REF --from NAME`.
func revokeAccess(f *Factory, ref, from string) error {
	v, err := f.OpenVault(false)
	if err != nil {
		return err
	}
	defer v.Close()
	var r *secret.Record
	var who string
	err = v.Update(func(tx *vault.Tx) error {
		if r, err = tx.Find(ref); err != nil {
			return err
		}
		if !r.Mine() {
			return &exitError{class: errNotPermitted, msg: fmt.Sprintf("%s belongs to %s: only the owner manages who has access", describe(r), r.Owner)}
		}
		contacts, err := loadContacts(tx)
		if err != nil {
			return err
		}
		key := ""
		if i, ok := share.FindContact(contacts, from); ok {
			key = contacts[i].Key
		}
		for i, a := range r.Access {
			if a.Permission == secret.PermOwner {
				continue
			}
			if strings.EqualFold(a.Name, from) || (key != "" && a.Recipient == key) || a.Recipient == from {
				if a.Revoked() {
					return &exitError{class: errConflict, msg: fmt.Sprintf("%s's access to %s was already revoked on %s", a.Name, r.Name, fmtTime(a.RevokedAt))}
				}
				r.Access[i].RevokedAt = tx.Now()
				who = a.Name
				if err := tx.Put(r); err != nil {
					return err
				}
				return tx.Log(logEntry(audit.Share, r, "revoked for "+a.Name))
			}
		}
		return &exitError{class: errNotFound, msg: fmt.Sprintf("%s is not shared with %q", describe(r), from), hint: "see `mysafe show " + ref + "`"}
	})
	if err != nil {
		return err
	}
	f.chatter("Access of %s to %s marked as revoked", who, r.Name)
	f.notice("Reminder: %s may still hold a copy of the client secret; a shared copy cannot be taken back. Rotate the secret at the API provider, then store the new one with `mysafe edit %s --client-secret-stdin` and share it again with the people who keep access.", who, ref)
	return nil
}

// fingerprintOrKey shows a signing key by its fingerprint, or as it is
// when it does not parse.
func fingerprintOrKey(signing string) string {
	if _, fp, err := share.ParseSigningKey(signing); err == nil {
		return fp
	}
	return signing
}
