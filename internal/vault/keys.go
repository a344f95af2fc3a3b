package vault

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// keys are the symmetric keys derived once per unlock. Records are sealed
// with XChaCha20-Poly1305 rather than with one age file each: age spends an
// X25519 operation (about a hundred microseconds) per file, which would make
// listing ten thousand records take more than a second, while an AEAD open of
// a small record costs well under a microsecond. age still guards the root:
// the data key is an age file encrypted to the vault identity.
type keys struct {
	vaultID []byte
	aead    cipherAEAD
}

type cipherAEAD interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	NonceSize() int
	Overhead() int
}

// deriveKeys mixes the age-protected data key with the identity itself, so
// that knowing the vault's public key (enough to write a new age file for
// it) is not enough to forge a data key that yields valid records.
func deriveKeys(vaultID, dataKey []byte, identity string) (*keys, error) {
	ikm := make([]byte, 0, len(dataKey)+len(identity))
	ikm = append(ikm, dataKey...)
	ikm = append(ikm, identity...)
	prk, err := hkdf.Extract(sha256.New, ikm, vaultID)
	if err != nil {
		return nil, err
	}
	rk, err := hkdf.Expand(sha256.New, prk, "mysafe v1 record key", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(rk)
	if err != nil {
		return nil, err
	}
	return &keys{vaultID: vaultID, aead: aead}, nil
}

// ad builds the associated data that binds a sealed value to its place: the
// vault, the bucket and the key. A value moved to another key, another bucket
// or another vault fails to open.
func (k *keys) ad(bucket, key []byte) []byte {
	ad := make([]byte, 0, 16+len(k.vaultID)+len(bucket)+len(key)+2)
	ad = append(ad, "mysafe v1"...)
	ad = append(ad, 0)
	ad = append(ad, k.vaultID...)
	ad = append(ad, bucket...)
	ad = append(ad, 0)
	ad = append(ad, key...)
	return ad
}

func (k *keys) seal(bucket, key, plaintext []byte) []byte {
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("mysafe: system random source failed: " + err.Error())
	}
	return k.aead.Seal(nonce, nonce, plaintext, k.ad(bucket, key))
}

var errOpen = errors.New("authentication failed")

func (k *keys) open(bucket, key, sealed []byte) ([]byte, error) {
	if len(sealed) < chacha20poly1305.NonceSizeX+k.aead.Overhead() {
		return nil, errOpen
	}
	nonce, ct := sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:]
	pt, err := k.aead.Open(nil, nonce, ct, k.ad(bucket, key))
	if err != nil {
		return nil, errOpen
	}
	return pt, nil
}

func newRandom(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("mysafe: system random source failed: %v", err))
	}
	return b
}
