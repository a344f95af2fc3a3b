package share

import (
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
)

// ReadBundle opens a bundle for a reader that has no vault, such as a CI
// job that holds only its own age identity: the bundle must be addressed to
// one of identities, signed by the signing key of signerCard (a contact
// card, as `mysafe key` prints it), unexpired, and every record in it owned
// and signed by that same person. Unsigned bundles are refused whatever
// happens. It returns the bundle's records.
//
// Errors wrap ErrInvalidCard for a card that does not parse or verify,
// ErrSender or ErrNotPermitted for a bundle from someone else, and Open's
// errors otherwise.
func ReadBundle(data []byte, identities []age.Identity, signerCard string, now time.Time) ([]*secret.Record, error) {
	card, err := ParseCard(signerCard)
	if err != nil {
		return nil, err
	}
	o, err := OpenFrom(data, identities, ContactFromCard("of the signer card", card, now), now, OpenOptions{})
	if err != nil {
		return nil, err
	}
	recs := make([]*secret.Record, 0, len(o.Payload.Records))
	for _, r := range o.Payload.Records {
		recs = append(recs, r.Secret())
	}
	return recs, nil
}
