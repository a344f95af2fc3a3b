package share

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// CardPrefix starts every contact card.
//
// A contact card is one line of text that binds a person's three public
// sharing keys under a signature by the signing key among them:
//
//	mysafe-card-1 AGE-KEY PQ-KEY ssh-ed25519 SIGNING-KEY SIGNATURE
//
// AGE-KEY is their age X25519 key (age1...), PQ-KEY their post-quantum age
// key (age1pq1...), "ssh-ed25519 SIGNING-KEY" their Ed25519 signing key in
// authorized_keys form, and SIGNATURE the standard base64 encoding of an
// Ed25519 signature, by that signing key, of every byte of the line before
// the space that precedes SIGNATURE. The signature shows that the holder of
// the signing key vouches for the two age keys, so nobody can pair someone
// else's signing key with their own age keys without breaking the card.
// Whether the card belongs to the person it is said to belong to is for
// the user to check, by comparing the signing key's fingerprint with them.
const CardPrefix = "mysafe-card-1"

// ErrInvalidCard is wrapped by every error of ParseCard.
var ErrInvalidCard = errors.New("invalid contact card")

// Card is a parsed, verified contact card. Its keys are normalized.
type Card struct {
	Sharing string // age X25519 recipient, age1...
	PQ      string // age post-quantum recipient, age1pq1...
	Signing string // ssh-ed25519 public key, authorized_keys form
}

// MakeCard returns the card line for the given public sharing keys, signed
// with signer, whose public half becomes the card's signing key.
func MakeCard(sharing, pq string, signer ed25519.PrivateKey) (string, error) {
	c := Card{Signing: FormatSigningKey(signer.Public().(ed25519.PublicKey))}
	r, err := ParseRecipient(sharing)
	if err != nil || r.Kind() != KindX25519 {
		return "", fmt.Errorf("%w: sharing key is not an age X25519 key", ErrInvalidCard)
	}
	c.Sharing = r.Key()
	r, err = ParseRecipient(pq)
	if err != nil || !r.PostQuantum() {
		return "", fmt.Errorf("%w: post-quantum key is not an age1pq1 key", ErrInvalidCard)
	}
	c.PQ = r.Key()
	body := c.body()
	sig := ed25519.Sign(signer, []byte(body))
	return body + " " + base64.StdEncoding.EncodeToString(sig), nil
}

func (c Card) body() string {
	return CardPrefix + " " + c.Sharing + " " + c.PQ + " " + c.Signing
}

// LooksLikeCard reports whether s is meant as a contact card, so a caller
// can tell a damaged card from a plain key.
func LooksLikeCard(s string) bool {
	return strings.HasPrefix(strings.TrimSpace(s), CardPrefix)
}

// ParseCard parses and verifies a card line made by MakeCard. Surrounding
// white space is ignored. Errors wrap ErrInvalidCard and say what is wrong,
// most often that the card was not copied whole.
func ParseCard(s string) (Card, error) {
	fields := strings.Split(strings.TrimSpace(s), " ")
	if len(fields) != 6 || fields[0] != CardPrefix {
		return Card{}, fmt.Errorf("%w: want one line %q followed by five fields; check that it was copied whole", ErrInvalidCard, CardPrefix)
	}
	var c Card
	r, err := ParseRecipient(fields[1])
	if err != nil || r.Kind() != KindX25519 {
		return Card{}, fmt.Errorf("%w: its first key is not an age1... key", ErrInvalidCard)
	}
	c.Sharing = r.Key()
	r, err = ParseRecipient(fields[2])
	if err != nil || !r.PostQuantum() {
		return Card{}, fmt.Errorf("%w: its second key is not an age1pq1... key", ErrInvalidCard)
	}
	c.PQ = r.Key()
	pk, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(fields[3] + " " + fields[4]))
	if err != nil || len(rest) != 0 || pk.Type() != ssh.KeyAlgoED25519 {
		return Card{}, fmt.Errorf("%w: its signing key is not an ssh-ed25519 key", ErrInvalidCard)
	}
	c.Signing = authorizedKey(pk)
	sig, err := base64.StdEncoding.Strict().DecodeString(fields[5])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Card{}, fmt.Errorf("%w: malformed signature", ErrInvalidCard)
	}
	if c.Sharing != fields[1] || c.PQ != fields[2] || c.Signing != fields[3]+" "+fields[4] {
		return Card{}, fmt.Errorf("%w: its keys are not written as mysafe writes them; check that it was copied whole", ErrInvalidCard)
	}
	cpk, ok := pk.(ssh.CryptoPublicKey)
	if !ok {
		return Card{}, fmt.Errorf("%w: its signing key is not an ssh-ed25519 key", ErrInvalidCard)
	}
	edpk, ok := cpk.CryptoPublicKey().(ed25519.PublicKey)
	// The signed text is rebuilt from the normalized keys, so only the
	// exact line MakeCard writes verifies.
	if !ok || !ed25519.Verify(edpk, []byte(c.body()), sig) {
		return Card{}, fmt.Errorf("%w: its signature does not verify; the card was changed or damaged", ErrInvalidCard)
	}
	return c, nil
}

// String returns the card's line without its signature, for messages; use
// MakeCard for a line to give out.
func (c Card) String() string { return c.body() }

// Fingerprint returns the signing key's "SHA256:..." fingerprint, which is
// what people compare to check a card (`mysafe key --signing |
// ssh-keygen -lf -` prints it).
func (c Card) Fingerprint() string {
	_, fp, _ := ParseSigningKey(c.Signing)
	return fp
}
