package share

import (
	"errors"

	"filippo.io/age"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Contact is one entry of a user's address book: a person's name and the
// public keys the user has checked for them. A contact added from a card
// has all three keys; one added from a plain key (an age or SSH key of
// someone who does not use mysafe) has just that key, and perhaps a signing
// key the user trusted later with its fingerprint.
type Contact struct {
	Name string `json:"name"`
	// Key is the key bundles for this contact are encrypted to: the age
	// X25519 key of a card, or the plain key.
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// PQ is the post-quantum key of a card.
	PQ string `json:"pq,omitempty"`
	// Signing is the contact's signing key: from their card, or trusted
	// with --trust-signing-key.
	Signing string `json:"signing,omitempty"`
	// Card is true when the keys came from a verified contact card, so all
	// of them are known to belong together.
	Card    bool      `json:"card,omitempty"`
	AddedAt time.Time `json:"added_at"`
}

// Keys returns the contact's sharing keys.
func (c *Contact) Keys() []string {
	if c.PQ != "" {
		return []string{c.Key, c.PQ}
	}
	return []string{c.Key}
}

// HasKey reports whether key is one of the contact's sharing keys.
func (c *Contact) HasKey(key string) bool {
	return slices.ContainsFunc(c.Keys(), func(k string) bool { return sameKey(k, key) })
}

// ContactFromCard returns a contact named name holding the card's keys.
func ContactFromCard(name string, card Card, now time.Time) Contact {
	return Contact{Name: name, Key: card.Sharing, Kind: string(KindX25519), PQ: card.PQ, Signing: card.Signing, Card: true, AddedAt: now}
}

// ContactFromKey returns a contact named name with one plain public key.
func ContactFromKey(name string, r Recipient, now time.Time) Contact {
	return Contact{Name: name, Key: r.Key(), Kind: string(r.Kind()), AddedAt: now}
}

// ErrContactConflict is wrapped by AddContact's errors.
var ErrContactConflict = errors.New("contact conflict")

// AddContact returns contacts with c added, sorted by name, or an error
// wrapping ErrContactConflict when c's name (in any case), one of its
// sharing keys, or its signing key already belongs to a contact: a key
// names one person only, so that a bundle or a record can never be
// attributed to two.
func AddContact(contacts []Contact, c Contact) ([]Contact, error) {
	for i := range contacts {
		o := &contacts[i]
		switch {
		case strings.EqualFold(o.Name, c.Name):
			return nil, fmt.Errorf("%w: contact %q already exists", ErrContactConflict, o.Name)
		case slices.ContainsFunc(c.Keys(), o.HasKey):
			return nil, fmt.Errorf("%w: that key already belongs to contact %q", ErrContactConflict, o.Name)
		case c.Signing != "" && o.Signing == c.Signing:
			return nil, fmt.Errorf("%w: that signing key already belongs to contact %q", ErrContactConflict, o.Name)
		}
	}
	out := append(slices.Clone(contacts), c)
	slices.SortFunc(out, func(a, b Contact) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// FindContact returns the index of the contact called name, in any case.
func FindContact(contacts []Contact, name string) (int, bool) {
	i := slices.IndexFunc(contacts, func(c Contact) bool { return strings.EqualFold(c.Name, name) })
	return i, i >= 0
}

// contactWithKey returns the contact holding sharing key key, or nil.
func contactWithKey(contacts []Contact, key string) *Contact {
	if key == "" {
		return nil
	}
	for i := range contacts {
		if contacts[i].HasKey(key) {
			return &contacts[i]
		}
	}
	return nil
}

// ErrSender is wrapped by IdentifySender's errors: the bundle's claims about
// its sender do not agree with the user's contacts.
var ErrSender = errors.New("sender does not match your contacts")

// ErrUnknownSigningKey is wrapped by IdentifySender's error for a bundle
// from a contact whose signing key is not known yet.
var ErrUnknownSigningKey = errors.New("unknown signing key")

// SenderCheck is the outcome of IdentifySender.
type SenderCheck struct {
	// Contact is the verified sender: the contact whose signing key made the
	// bundle's signature. Nil for a stranger or an unsigned bundle. When
	// Pinned, it is a copy with the newly trusted signing key set, for the
	// caller to store.
	Contact *Contact
	// Pinned reports that the signing key was trusted just now, with the
	// fingerprint the user gave.
	Pinned bool
}

// IdentifySender decides who sent an opened bundle, from the user's
// contacts alone. The bundle's own claims (sender.recipient,
// sender.pq_recipient) only select a contact; they never add keys to one.
// trust is a "SHA256:..." fingerprint the user checked with the sender, or
// empty. The rules:
//
//   - An unsigned bundle has no verified sender.
//   - A contact whose signing key made the signature is the sender. Every
//     sender key the bundle names must then be one of that contact's keys
//     when the contact came from a card, and must not be another contact's
//     key in any case: a bundle cannot borrow someone else's keys.
//   - Otherwise, if the bundle names keys of two different contacts: refused.
//   - If it names keys of one contact whose signing key is known: refused,
//     since that contact signs with another key.
//   - If it names keys of one contact without a known signing key: refused
//     with ErrUnknownSigningKey, unless trust equals the signer's
//     fingerprint; then the signing key is pinned to that contact.
//   - If it names no contact's key, the sender is a stranger; trust must
//     then be empty, as there is no contact to pin the key to.
func IdentifySender(o *Opened, contacts []Contact, trust string) (SenderCheck, error) {
	if !o.Signed {
		if trust != "" {
			return SenderCheck{}, fmt.Errorf("%w: the bundle is not signed, so there is no signing key to trust", ErrSender)
		}
		return SenderCheck{}, nil
	}
	s := o.Payload.Sender
	claimed := []string{s.Recipient}
	if s.PQRecipient != "" {
		claimed = append(claimed, s.PQRecipient)
	}
	if trust != "" && trust != o.SignerFingerprint {
		return SenderCheck{}, fmt.Errorf("%w: the bundle is signed by %s, not by %s, the key you said to trust", ErrSender, o.SignerFingerprint, trust)
	}

	if i := slices.IndexFunc(contacts, func(c Contact) bool { return c.Signing == o.SignerKey }); i >= 0 {
		c := &contacts[i]
		for _, k := range claimed {
			if c.HasKey(k) {
				continue
			}
			if other := contactWithKey(contacts, k); other != nil {
				return SenderCheck{}, fmt.Errorf("%w: signed by contact %s, but it names a key of contact %s as the sender's", ErrSender, c.Name, other.Name)
			}
			if c.Card {
				return SenderCheck{}, fmt.Errorf("%w: signed by contact %s, but it names a sender key that is not in their card", ErrSender, c.Name)
			}
		}
		cp := *c
		return SenderCheck{Contact: &cp}, nil
	}

	var named *Contact
	for _, k := range claimed {
		c := contactWithKey(contacts, k)
		if c == nil {
			continue
		}
		if named != nil && named != c {
			return SenderCheck{}, fmt.Errorf("%w: it names keys of two contacts, %s and %s, as the sender's", ErrSender, named.Name, c.Name)
		}
		named = c
	}
	switch {
	case named == nil && trust != "":
		return SenderCheck{}, fmt.Errorf("%w: the sender is not one of your contacts; add them first (with their card), then import again", ErrSender)
	case named == nil:
		return SenderCheck{}, nil
	case named.Signing != "":
		return SenderCheck{}, fmt.Errorf("%w: it claims to come from contact %s but is signed by %s, not by their signing key %s",
			ErrSender, named.Name, o.SignerFingerprint, fingerprintOf(named.Signing))
	case trust == "":
		return SenderCheck{}, fmt.Errorf("%w: first bundle from contact %s, signed by %s; check that fingerprint with %s, then import again with --trust-signing-key %s, or add their contact card",
			ErrUnknownSigningKey, named.Name, o.SignerFingerprint, named.Name, o.SignerFingerprint)
	}
	// No contact has this signing key (checked first above), so pinning it
	// keeps one signing key per contact.
	cp := *named
	cp.Signing = o.SignerKey
	return SenderCheck{Contact: &cp, Pinned: true}, nil
}

// OpenFrom opens a bundle that must come from contact c and be vouched for
// by c alone: signed by c's signing key, naming only c's keys as the
// sender's, and every record owned by c and carrying c's owner signature.
// It is for acting on a bundle without importing it, such as running a
// command with its secrets. opts.AllowUnsigned is ignored: an unsigned
// bundle is never from anyone.
//
// Errors: those of Open; ErrSender when the bundle is not from c, or c has
// no signing key; ErrNotPermitted naming the first record c did not sign
// as its owner.
func OpenFrom(data []byte, identities []age.Identity, c Contact, now time.Time, opts OpenOptions) (*Opened, error) {
	if c.Signing == "" {
		return nil, fmt.Errorf("%w: no signing key is known for contact %s; add their contact card", ErrSender, c.Name)
	}
	opts.AllowUnsigned = false
	o, err := Open(data, identities, now, opts)
	if err != nil {
		return nil, err
	}
	check, err := IdentifySender(o, []Contact{c}, "")
	if err != nil {
		return nil, err
	}
	if check.Contact == nil {
		return nil, fmt.Errorf("%w: not signed by contact %s (signed by %s)", ErrSender, c.Name, o.SignerFingerprint)
	}
	for _, rec := range o.Payload.Records {
		if !c.HasKey(rec.OwnerKey) || rec.OwnerSigner != c.Signing {
			return nil, fmt.Errorf("%w: %q is not signed by %s as its owner", ErrNotPermitted, rec.Name, c.Name)
		}
	}
	return o, nil
}
