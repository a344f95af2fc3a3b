// Package vault stores API secrets in one bbolt file, sealed so that nothing
// about a record is readable without the vault's key.
//
// Layout of the file:
//
//	meta     format, vault id, public keys (clear); the vault identity sealed
//	         with the passphrase (age scrypt); the data key sealed to the vault
//	         identity (age X25519); the catalog (sealed)
//	records  record id -> sealed record
//	data     name -> sealed blob (profile, contacts, import history)
//
// The vault identity is an age X25519 identity that exists only to protect
// this vault; it is not the user's sharing key. Exporting it lets scripts
// open the vault without the passphrase and without scrypt's cost.
//
// Every change happens inside one bbolt transaction, so a failed or refused
// command leaves the file as it was.
package vault

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mysafe/mysafe/internal/secret"
)

// Errors returned by this package; callers map them to exit codes with errors.Is.
var (
	ErrNoVault  = errors.New("no vault")
	ErrExists   = errors.New("a vault already exists")
	ErrLocked   = errors.New("vault is locked")
	ErrInUse    = errors.New("vault is in use by another mysafe process")
	ErrTampered = errors.New("vault file was modified outside mysafe or is damaged")
	ErrConflict = errors.New("conflict")
	ErrNotFound = errors.New("not found")
	ErrNotVault = errors.New("not a mysafe vault")
)

const formatV1 = "mysafe-vault-1"

var (
	bucketMeta    = []byte("meta")
	bucketRecords = []byte("records")
	bucketData    = []byte("data")

	keyFormat     = []byte("format")
	keyVaultID    = []byte("vault_id")
	keyIdentity   = []byte("identity")
	keyDataKey    = []byte("data_key")
	keyCatalog    = []byte("catalog")
	keyPublicKeys = []byte("public_keys")

	blobProfile = "profile"
)

// DefaultLockTimeout is how long a command waits for another mysafe process
// to release the vault before giving up.
const DefaultLockTimeout = 2 * time.Second

// PublicKeys are the user's public keys, readable without unlocking so that
// `mysafe key` works at any time.
type PublicKeys struct {
	Sharing     string `json:"sharing"`      // age X25519 recipient (age1...)
	SharingPQ   string `json:"sharing_pq"`   // age hybrid post-quantum recipient (age1pq1...)
	Signing     string `json:"signing"`      // ssh-ed25519 public key, authorized_keys form
	SigningHash string `json:"signing_hash"` // its SHA256 fingerprint
}

// Profile holds the vault owner's name and private sharing keys.
type Profile struct {
	Owner           string `json:"owner"`
	SharingIdentity string `json:"sharing_identity"`
	PQIdentity      string `json:"pq_identity"`
	SigningSeed     []byte `json:"signing_seed"`
}

// SigningKey returns the owner's Ed25519 signing key.
func (p *Profile) SigningKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(p.SigningSeed) }

// Vault is an open vault file. It must be unlocked before records can be read.
type Vault struct {
	db          *bolt.DB
	path        string
	lockTimeout time.Duration
	now         func() time.Time
	keys        *keys
	identity    *age.X25519Identity
}

// Options configure Create and Open.
type Options struct {
	ReadOnly    bool             // open with a shared lock; writes fail
	LockTimeout time.Duration    // 0 means DefaultLockTimeout
	Now         func() time.Time // clock; nil means time.Now
}

// CreateOptions configure a new vault.
type CreateOptions struct {
	Options
	Owner      string
	Passphrase []byte
	// ScryptWorkFactor is log2 of scrypt's N; 0 means age's default (18).
	// Tests lower it; users never should.
	ScryptWorkFactor int
}

func (o *Options) fill() {
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func openDB(path string, o Options) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, ReadOnly: o.ReadOnly})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("%w (waited %s); try again when it has finished", ErrInUse, o.LockTimeout)
		}
		if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotVault)
		}
		return nil, err
	}
	return db, nil
}

// Create makes a new vault at path, with its directory created 0700 and the
// file 0600, and returns it unlocked. It refuses to overwrite an existing file
// (ErrExists). On any failure the new file is removed.
func Create(path string, o CreateOptions) (v *Vault, err error) {
	o.fill()
	if len(o.Passphrase) == 0 {
		return nil, errors.New("empty passphrase")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w at %s", ErrExists, path)
		}
		return nil, err
	}
	f.Close()
	defer func() {
		if err != nil {
			if v != nil {
				v.Close()
			}
			os.Remove(path)
			v = nil
		}
	}()
	db, err := openDB(path, o.Options)
	if err != nil {
		return nil, err
	}
	v = &Vault{db: db, path: path, now: o.Now, lockTimeout: o.LockTimeout}

	id, err := age.GenerateX25519Identity()
	if err != nil {
		return v, err
	}
	sealedID, err := sealWithPassphrase([]byte(id.String()), o.Passphrase, o.ScryptWorkFactor)
	if err != nil {
		return v, err
	}
	dataKey := newRandom(32)
	var wrapped bytes.Buffer
	w, err := age.Encrypt(&wrapped, id.Recipient())
	if err != nil {
		return v, err
	}
	w.Write(dataKey)
	if err := w.Close(); err != nil {
		return v, err
	}
	vaultID := newRandom(16)
	if v.keys, err = deriveKeys(vaultID, dataKey, id.String()); err != nil {
		return v, err
	}
	v.identity = id

	profile, pub, err := newProfile(o.Owner)
	if err != nil {
		return v, err
	}
	pubJSON, _ := json.Marshal(pub)
	err = db.Update(func(btx *bolt.Tx) error {
		meta, err := btx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		for _, kv := range [][2][]byte{
			{keyFormat, []byte(formatV1)},
			{keyVaultID, vaultID},
			{keyIdentity, sealedID},
			{keyDataKey, wrapped.Bytes()},
			{keyPublicKeys, pubJSON},
		} {
			if err := meta.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		if _, err := btx.CreateBucket(bucketRecords); err != nil {
			return err
		}
		if _, err := btx.CreateBucket(bucketData); err != nil {
			return err
		}
		// A new vault has nothing to verify yet.
		tx := &Tx{v: v, btx: btx, cat: &catalog{pub: string(pubJSON)}, records: map[string]*secret.Record{}}
		if err := tx.PutJSON(blobProfile, profile); err != nil {
			return err
		}
		return tx.finish()
	})
	return v, err
}

// Open opens an existing vault file, locked. ErrNoVault means there is no
// file at path; ErrInUse that another process holds it past the timeout.
func Open(path string, o Options) (*Vault, error) {
	o.fill()
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s", ErrNoVault, path)
		}
		return nil, err
	}
	// bbolt would turn an empty file into a new database: refuse it first.
	if fi.IsDir() || fi.Size() == 0 {
		return nil, fmt.Errorf("%s: %w (it is %s)", path, ErrNotVault, map[bool]string{true: "a directory", false: "empty"}[fi.IsDir()])
	}
	db, err := openDB(path, o)
	if err != nil {
		return nil, err
	}
	v := &Vault{db: db, path: path, now: o.Now, lockTimeout: o.LockTimeout}
	if err := db.View(func(btx *bolt.Tx) error {
		meta := btx.Bucket(bucketMeta)
		if meta == nil || string(meta.Get(keyFormat)) != formatV1 || btx.Bucket(bucketRecords) == nil || btx.Bucket(bucketData) == nil {
			return fmt.Errorf("%s: %w", path, ErrNotVault)
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, err
	}
	return v, nil
}

// Path returns the vault file's path.
func (v *Vault) Path() string { return v.path }

// Close releases the file and its lock.
func (v *Vault) Close() error { return v.db.Close() }

// PublicKeys returns the owner's public keys; it needs no unlock.
//
// On a locked vault they come from the clear copy in the file, which a
// person with write access to the file could have replaced; on an unlocked
// vault they are derived from the sealed profile and the clear copy is
// checked against them (ErrTampered when it differs).
func (v *Vault) PublicKeys() (PublicKeys, error) {
	var pub PublicKeys
	if v.keys != nil {
		err := v.View(func(tx *Tx) (err error) {
			pub, err = tx.PublicKeys()
			return err
		})
		return pub, err
	}
	err := v.db.View(func(btx *bolt.Tx) error {
		return json.Unmarshal(btx.Bucket(bucketMeta).Get(keyPublicKeys), &pub)
	})
	return pub, err
}

// Unlocked reports whether the vault has been unlocked.
func (v *Vault) Unlocked() bool { return v.keys != nil }

// UnlockWithPassphrase unlocks the vault. A wrong passphrase returns an
// error wrapping ErrLocked.
func (v *Vault) UnlockWithPassphrase(passphrase []byte) error {
	var sealedID []byte
	v.db.View(func(btx *bolt.Tx) error {
		sealedID = bytes.Clone(btx.Bucket(bucketMeta).Get(keyIdentity))
		return nil
	})
	idText, err := openWithPassphrase(sealedID, passphrase)
	if err != nil {
		return err
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(idText)))
	if err != nil {
		return fmt.Errorf("%w: stored identity is damaged", ErrTampered)
	}
	return v.unlock(id)
}

// UnlockWithIdentity unlocks the vault with its exported identity (an
// AGE-SECRET-KEY-1... string). The wrong identity returns ErrLocked.
func (v *Vault) UnlockWithIdentity(identity string) error {
	id, err := age.ParseX25519Identity(strings.TrimSpace(identity))
	if err != nil {
		return fmt.Errorf("%w: the identity is not an age secret key (AGE-SECRET-KEY-1...)", ErrLocked)
	}
	return v.unlock(id)
}

func (v *Vault) unlock(id *age.X25519Identity) error {
	var wrapped, vaultID []byte
	v.db.View(func(btx *bolt.Tx) error {
		meta := btx.Bucket(bucketMeta)
		wrapped = bytes.Clone(meta.Get(keyDataKey))
		vaultID = bytes.Clone(meta.Get(keyVaultID))
		return nil
	})
	r, err := age.Decrypt(bytes.NewReader(wrapped), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return fmt.Errorf("%w: the identity does not open this vault", ErrLocked)
		}
		return fmt.Errorf("%w: data key: %v", ErrTampered, err)
	}
	dataKey, err := io.ReadAll(r)
	if err != nil || len(dataKey) != 32 || len(vaultID) != 16 {
		return fmt.Errorf("%w: data key is damaged", ErrTampered)
	}
	k, err := deriveKeys(vaultID, dataKey, id.String())
	if err != nil {
		return err
	}
	v.keys, v.identity = k, id
	// Records are checked by the first transaction that reads them; doing
	// it here too would decrypt the whole vault twice per command.
	return nil
}

// Identity returns the vault identity (AGE-SECRET-KEY-1...). Anyone holding
// it can open the vault without the passphrase.
func (v *Vault) Identity() string {
	if v.identity == nil {
		return ""
	}
	return v.identity.String()
}

// ChangePassphrase reseals the vault identity with a new passphrase. Records
// are not re-encrypted: they are sealed with keys derived from the identity,
// which does not change.
func (v *Vault) ChangePassphrase(passphrase []byte, workFactor int) error {
	if v.identity == nil {
		return ErrLocked
	}
	if len(passphrase) == 0 {
		return errors.New("empty passphrase")
	}
	sealed, err := sealWithPassphrase([]byte(v.identity.String()), passphrase, workFactor)
	if err != nil {
		return err
	}
	if err := v.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketMeta).Put(keyIdentity, sealed)
	}); err != nil {
		return err
	}
	return v.compact()
}

// compact rewrites the file without its free pages. bbolt does not wipe a
// page it frees, so without this the identity sealed under the old
// passphrase could stay in the file until the page is reused. The copy is
// made next to the vault (mode 0600) and renamed over it.
func (v *Vault) compact() (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(v.path), ".vault-compact-*")
	if err != nil {
		return err
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer func() {
		if err != nil {
			os.Remove(tmpPath)
		}
	}()
	dst, err := bolt.Open(tmpPath, 0o600, &bolt.Options{Timeout: v.lockTimeout})
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, v.db, 0); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	if err := v.db.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpPath, v.path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(v.path)); err == nil {
		d.Sync()
		d.Close()
	}
	v.db, err = bolt.Open(v.path, 0o600, &bolt.Options{Timeout: v.lockTimeout})
	return err
}

// Reopen closes the file and opens it again, read-only (with a shared lock)
// or for writing, keeping the vault unlocked. Commands that ask a person
// something between reading and writing hold only the shared lock while
// they wait.
func (v *Vault) Reopen(readOnly bool) error {
	if err := v.db.Close(); err != nil {
		return err
	}
	db, err := openDB(v.path, Options{ReadOnly: readOnly, LockTimeout: v.lockTimeout})
	if err != nil {
		return err
	}
	v.db = db
	return nil
}

func sealWithPassphrase(plaintext, passphrase []byte, workFactor int) ([]byte, error) {
	r, err := age.NewScryptRecipient(string(passphrase))
	if err != nil {
		return nil, err
	}
	if workFactor > 0 {
		r.SetWorkFactor(workFactor)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, err
	}
	w.Write(plaintext)
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func openWithPassphrase(sealed, passphrase []byte) ([]byte, error) {
	id, err := passphraseIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, fmt.Errorf("%w: wrong passphrase", ErrLocked)
		}
		return nil, fmt.Errorf("%w: sealed identity: %v", ErrTampered, err)
	}
	return io.ReadAll(r)
}
