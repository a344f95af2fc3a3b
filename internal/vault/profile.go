package vault

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"
)

// newProfile makes the owner's sharing keys: an age X25519 identity, an age
// post-quantum hybrid identity and an Ed25519 signing key. They are separate
// from the vault identity, so sharing a public key never exposes anything
// that protects the vault's own records.
func newProfile(owner string) (*Profile, PublicKeys, error) {
	sharing, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, PublicKeys{}, err
	}
	pq, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, PublicKeys{}, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, PublicKeys{}, err
	}
	p := &Profile{
		Owner:           owner,
		SharingIdentity: sharing.String(),
		PQIdentity:      pq.String(),
		SigningSeed:     priv.Seed(),
	}
	keys, err := p.publicKeys()
	return p, keys, err
}

// publicKeys derives the public halves of the profile's keys. Unlocked
// commands use these, never the clear copy in the file, which only serves
// `mysafe key` before unlocking and is checked against them on every unlock.
func (p *Profile) publicKeys() (PublicKeys, error) {
	sharing, err := age.ParseX25519Identity(p.SharingIdentity)
	if err != nil {
		return PublicKeys{}, err
	}
	pq, err := age.ParseHybridIdentity(p.PQIdentity)
	if err != nil {
		return PublicKeys{}, err
	}
	sshPub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(p.SigningSeed).Public())
	if err != nil {
		return PublicKeys{}, err
	}
	return PublicKeys{
		Sharing:     sharing.Recipient().String(),
		SharingPQ:   pq.Recipient().String(),
		Signing:     strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))),
		SigningHash: ssh.FingerprintSHA256(sshPub),
	}, nil
}
