package vault

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// keys are the symmetric keys derived once per unlock, one per purpose, so
// that a value sealed for one purpose (a record, an index page, a blob, the
// root) never opens as another. Values are sealed with XChaCha20-Poly1305
// rather than with one age file each: age spends an X25519 operation per
// file, while an AEAD open of a small value costs well under a microsecond.
// age still guards the top: the data key is an age file encrypted to the
// vault identity.
type keys struct {
	vaultID []byte
	records sealer // record metadata and client secrets
	index   sealer // index leaves and middle pages
	blobs   sealer // named blobs (profile, contacts, ...)
	root    sealer // the root
	log     sealer // audit log entries
	lookup  []byte // HMAC key of the lookup hints
	chain   []byte // HMAC key of the audit log's hash chain
}

// sealer is one purpose's AEAD.
type sealer struct {
	aead interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
		Overhead() int
	}
	vaultID []byte
}

// Key labels. Changing one makes every vault unreadable.
const (
	labelRecords = "mysafe v2 records"
	labelIndex   = "mysafe v2 index"
	labelBlobs   = "mysafe v2 blobs"
	labelRoot    = "mysafe v2 root"
	labelLookup  = "mysafe v2 lookup"
	labelLog     = "mysafe v2 log"
	labelChain   = "mysafe v2 log chain"
)

// deriveKeys mixes the age-protected data key with the identity itself, so
// that knowing the vault's public key (enough to write a new age file for
// it) is not enough to forge a data key that yields valid values.
func deriveKeys(vaultID, dataKey []byte, identity string) (*keys, error) {
	prk, err := extract(vaultID, dataKey, identity)
	if err != nil {
		return nil, err
	}
	k := &keys{vaultID: vaultID}
	for _, p := range []struct {
		s     *sealer
		label string
	}{{&k.records, labelRecords}, {&k.index, labelIndex}, {&k.blobs, labelBlobs}, {&k.root, labelRoot}, {&k.log, labelLog}} {
		key, err := hkdf.Expand(sha256.New, prk, p.label, chacha20poly1305.KeySize)
		if err != nil {
			return nil, err
		}
		aead, err := chacha20poly1305.NewX(key)
		if err != nil {
			return nil, err
		}
		*p.s = sealer{aead: aead, vaultID: vaultID}
	}
	if k.lookup, err = hkdf.Expand(sha256.New, prk, labelLookup, 32); err != nil {
		return nil, err
	}
	if k.chain, err = hkdf.Expand(sha256.New, prk, labelChain, 32); err != nil {
		return nil, err
	}
	return k, nil
}

func extract(vaultID, dataKey []byte, identity string) ([]byte, error) {
	ikm := make([]byte, 0, len(dataKey)+len(identity))
	ikm = append(ikm, dataKey...)
	ikm = append(ikm, identity...)
	return hkdf.Extract(sha256.New, ikm, vaultID)
}

// ad builds the associated data that binds a sealed value to its place: the
// vault, the bucket and the key. A value moved to another key, another bucket
// or another vault fails to open.
func (s *sealer) ad(bucket, key []byte) []byte {
	return s.appendAD(make([]byte, 0, 16+len(s.vaultID)+len(bucket)+len(key)+2), bucket, key)
}

// appendAD appends the additional data of bucket/key to ad.
func (s *sealer) appendAD(ad, bucket, key []byte) []byte {
	ad = append(ad, "mysafe v2"...)
	ad = append(ad, 0)
	ad = append(ad, s.vaultID...)
	ad = append(ad, bucket...)
	ad = append(ad, 0)
	ad = append(ad, key...)
	return ad
}

// seal encrypts plaintext for bucket/key with a fresh random nonce, which
// comes first in the result. Its first tagLen bytes are the value's tag.
func (s *sealer) seal(bucket, key, plaintext []byte) []byte {
	nonce := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("mysafe: system random source failed: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, plaintext, s.ad(bucket, key))
}

var errOpen = errors.New("authentication failed")

func (s *sealer) open(bucket, key, sealed []byte) ([]byte, error) {
	return s.openScratch(nil, bucket, key, sealed)
}

// openScratch is open for many values in a row: the plaintext (valid until
// the next call) and the additional data are built in sc's buffers, so
// opening does not allocate once they have grown. A nil sc allocates.
func (s *sealer) openScratch(sc *scratch, bucket, key, sealed []byte) ([]byte, error) {
	if len(sealed) < chacha20poly1305.NonceSizeX+s.aead.Overhead() {
		return nil, errOpen
	}
	var dst, ad []byte
	if sc != nil {
		sc.ad = s.appendAD(sc.ad[:0], bucket, key)
		// A buffer too small is wiped and replaced here: Open would
		// otherwise drop it, with the last plaintext in it, for a new one.
		if need := len(sealed) - chacha20poly1305.NonceSizeX - s.aead.Overhead(); cap(sc.pt) < need {
			sc.wipe()
			sc.pt = make([]byte, 0, max(need, 2*cap(sc.pt)))
		}
		dst, ad = sc.pt[:0], sc.ad
	} else {
		ad = s.ad(bucket, key)
	}
	nonce, ct := sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:]
	pt, err := s.aead.Open(dst, nonce, ct, ad)
	if err != nil {
		return nil, errOpen
	}
	if sc != nil {
		sc.pt = pt
	}
	return pt, nil
}

// scratch holds the buffers of openScratch. Its plaintext buffer is
// cleared by wipe, and when openScratch needs a larger one.
type scratch struct{ pt, ad []byte }

func (sc *scratch) wipe() { clear(sc.pt[:cap(sc.pt)]) }

// hint is the lookup key of a normalized identifier or name: an HMAC, so the
// file does not show which records share a name, and nobody without the
// vault's key can tell which name a hint stands for.
func (k *keys) hint(kind byte, normalized string) string {
	m := hmac.New(sha256.New, k.lookup)
	m.Write([]byte{kind, 0})
	m.Write([]byte(normalized))
	return string(m.Sum(nil)[:hintLen])
}

const hintLen = 10

// Size classes of padded plaintexts: a file reader learns the class of a
// record, not its length.
var sizeClasses = []int{64, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096}

// pad appends 0x80 and zeros up to the next size class (multiples of 4096
// above the last class).
func pad(b []byte) []byte {
	n := len(b) + 1
	size := (n + 4095) / 4096 * 4096
	for _, c := range sizeClasses {
		if n <= c {
			size = c
			break
		}
	}
	out := make([]byte, size)
	copy(out, b)
	out[len(b)] = 0x80
	return out
}

var errPadding = errors.New("bad padding")

func unpad(b []byte) ([]byte, error) {
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case 0:
			continue
		case 0x80:
			return b[:i], nil
		}
		break
	}
	return nil, errPadding
}

func newRandom(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("mysafe: system random source failed: %v", err))
	}
	return b
}
