package vault

import "filippo.io/age"

// MaxScryptWorkFactor is the largest scrypt work factor (log2 of N) accepted
// on the passphrase seal of a vault identity. mysafe writes age's default,
// 18 (about a second and 256 MiB). Someone who can write the vault file
// could otherwise raise it (age accepts up to 22 by default: about a minute
// and 4 GiB per try) and make every unlock hang before it even says "wrong
// passphrase"; above this limit the seal is refused at once as damaged.
const MaxScryptWorkFactor = 18

// passphraseIdentity returns the age identity that opens a passphrase seal,
// refusing work factors above MaxScryptWorkFactor before any scrypt work.
func passphraseIdentity(passphrase []byte) (*age.ScryptIdentity, error) {
	id, err := age.NewScryptIdentity(string(passphrase))
	if err != nil {
		return nil, err
	}
	id.SetMaxWorkFactor(MaxScryptWorkFactor)
	return id, nil
}
