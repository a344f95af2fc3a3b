// Package vault stores API secrets in one bbolt file, sealed so that nothing
// about a record is readable without the vault's key, with every value
// checked against an authenticated index on every read.
//
// Layout of the file (format 2; docs/security.md describes it in full):
//
//	meta     format, vault id, public keys (clear); the vault identity sealed
//	         with the passphrase (age scrypt); the data key sealed to the vault
//	         identity (age X25519); the root of the index (sealed)
//	records  record id -> sealed record metadata (everything but the secret);
//	         record id + "s" -> its sealed client secret, right after it
//	index    page number -> sealed index page (see index.go)
//	data     name -> sealed blob (profile, contacts, import history)
//
// The vault identity is an age X25519 identity that exists only to protect
// this vault; it is not the user's sharing key. Exporting it lets scripts
// open the vault without the passphrase and without scrypt's cost.
//
// Every change happens inside one bbolt transaction, so a failed or refused
// command leaves the file as it was; after each commit the pages it freed are
// overwritten with zeros.
package vault

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/safefile"
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
	// ErrDamaged means the database under the vault cannot be read: a
	// truncated or overwritten file, or one that fell back to an older
	// commit whose pages were already erased.
	ErrDamaged = errors.New("vault file is damaged")
	// ErrNewer means the vault was written by a newer mysafe, in a format
	// or layout this one does not know: nothing is wrong with it.
	ErrNewer = errors.New("vault was written by a newer mysafe")
	// ErrRollback is wrapped by *RollbackError.
	ErrRollback = errors.New("vault was rolled back")
)

// RollbackError reports a vault whose generation is lower than one mysafe
// saw before: an older copy of the file, or a database that fell back to an
// earlier commit. It matches ErrRollback and ErrTampered.
type RollbackError struct {
	Path        string
	Found, Seen uint64
}

func (e *RollbackError) Error() string {
	return fmt.Sprintf("%s is at generation %d, but mysafe already saw generation %d of this vault: "+
		"the file was rolled back (an older copy, or damage that made the database fall back to an earlier commit), "+
		"so changes made since could be missing or undone", e.Path, e.Found, e.Seen)
}

// Is makes errors.Is(err, ErrRollback) and errors.Is(err, ErrTampered) hold.
func (e *RollbackError) Is(target error) bool { return target == ErrRollback || target == ErrTampered }

const (
	formatPrefix = "mysafe-vault-"
	formatV1     = formatPrefix + "1"
	formatV2     = formatPrefix + "2"
)

var (
	bucketMeta     = []byte("meta")
	bucketRecords  = []byte("records")
	bucketSecrets  = []byte("secrets")
	bucketIndex    = []byte("index")
	bucketData     = []byte("data")
	bucketVersions = []byte("versions")
	bucketLog      = []byte("log")
	// bucketHead holds the sealed root alone. A bucket that small lives
	// inside bbolt's top-level page, which every commit writes anyway, so
	// sealing a new root costs no page of its own; in the meta bucket it
	// cost one (the public keys make that bucket too large to be kept
	// inline). A vault written before keeps its root in the meta bucket
	// until its next write moves it.
	bucketHead = []byte("head")

	keyFormat     = []byte("format")
	keyVaultID    = []byte("vault_id")
	keyIdentity   = []byte("identity")
	keyDataKey    = []byte("data_key")
	keyPublicKeys = []byte("public_keys")
	keyRoot       = []byte("root")

	// keyIdentityCheck holds identityCheck of the vault identity, in the
	// clear: it tells an identity that is not this vault's from one that
	// is, but no longer opens a damaged data key.
	keyIdentityCheck = []byte("identity_check")

	blobProfile = "profile"
)

// writerMmapSize is the address space a writer maps for the file: about
// 200,000 records before bbolt maps it again. It is address space, not
// memory.
const writerMmapSize = 256 << 20

// writerAllocSize is how much a writer grows the file by, beyond what a
// commit needs.
const writerAllocSize = 256 << 10

// DefaultLockTimeout is how long a command waits for another mysafe process
// to release the vault before giving up.
const DefaultLockTimeout = 10 * time.Second

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
	readOnly    bool
	lockTimeout time.Duration
	wholeFile   bool
	now         func() time.Time
	stateDir    string
	format      string

	keys     *keys
	identity *age.X25519Identity
	dataKey  []byte // as wrapped in the file when unlocked
	vaultID  []byte
	seen     uint64 // highest generation seen, from the state directory
	stateErr error  // why the state directory could not be read, if it could not
	warn     func(error)
	warned   bool
	oldCopy  string // the format-1 file kept by an upgrade in this process

	maxVersions int         // see Options.MaxVersions
	actor       audit.Actor // who acts, for the audit log
}

// Options configure Create and Open.
type Options struct {
	ReadOnly    bool             // open with a shared lock; writes take the exclusive lock first
	LockTimeout time.Duration    // 0 means DefaultLockTimeout
	Now         func() time.Time // clock; nil means time.Now
	// StateDir is where the highest generation seen of each vault is kept
	// (the rollback guard); empty disables the guard.
	StateDir string
	// SharedFile accepts a vault file that other users can read or that
	// another user owns, for a vault shared read-only on purpose (see
	// safefile.CheckPrivate). A file others can write is refused anyway.
	SharedFile bool
	// MaxVersions is how many earlier versions of each record are kept;
	// 0 means DefaultMaxVersions, a negative number keeps none.
	MaxVersions int
	// Actor is who acts, as the audit log records it.
	Actor audit.Actor
	// WholeFile says the caller will read every record (a listing): a
	// read-only vault is then mapped into memory in one step, which costs
	// less than the page faults of reading it page by page, and more for
	// a command that reads a few pages.
	WholeFile bool
	// Warn is told, at most once per Vault, that a command that only reads
	// could not check or record the generation (a *StateError); the command
	// goes on. Nil means no one is told. Writes are refused instead.
	Warn func(error)
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

// guard runs fn, turning a panic or a memory fault inside bbolt (a damaged
// file) into ErrDamaged, and bbolt's refusal to write a value where the
// file holds a bucket into ErrTampered.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %w (%v)", path, ErrDamaged, p)
		}
	}()
	err = fn()
	// mysafe keeps values under its buckets, never buckets: bbolt refuses
	// to put or delete a value where someone else made a bucket.
	if errors.Is(err, bolterrors.ErrIncompatibleValue) {
		err = fmt.Errorf("%w: %s holds a bucket where mysafe keeps a value", ErrTampered, path)
	}
	return err
}

func (v *Vault) guard(fn func() error) error { return guard(v.path, fn) }

func openDB(path string, readOnly, whole bool, timeout time.Duration) (db *bolt.DB, err error) {
	err = guard(path, func() error {
		o := &bolt.Options{Timeout: timeout, ReadOnly: readOnly}
		if readOnly && whole {
			o.MmapFlags = mapPopulate
		}
		if !readOnly {
			// A writer maps room to grow: each time bbolt has to map the
			// file again it copies every page the transaction has changed,
			// which makes a large import spend a sixth of its time copying.
			o.InitialMmapSize = writerMmapSize
		}
		if db, err = bolt.Open(path, 0o600, o); err == nil && !readOnly {
			// With the larger map bbolt would grow the file 16 MiB at a
			// time; a small vault stays small.
			db.AllocSize = writerAllocSize
		}
		return err
	})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: waited %s for it to release %s", ErrInUse, timeout, path)
		}
		if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotVault)
		}
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, ErrDamaged) {
			return nil, err
		}
		// bbolt's other refusals ("file size too small", a bad page size,
		// a freelist out of range) all mean the file is not a sound vault.
		return nil, fmt.Errorf("%s: %w (%v)", path, ErrDamaged, err)
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
	db, err := openDB(path, false, false, o.LockTimeout)
	if err != nil {
		return nil, err
	}
	v = &Vault{db: db, path: path, now: o.Now, lockTimeout: o.LockTimeout, stateDir: o.StateDir, format: formatV2,
		maxVersions: o.MaxVersions, actor: o.Actor, warn: o.Warn}
	ks, err := newKeySet(o.Passphrase, o.ScryptWorkFactor)
	if err != nil {
		return v, err
	}
	vaultID := newRandom(16)
	if err := probeGeneration(v.stateDir, vaultID); err != nil {
		return v, refused(err)
	}
	profile, pub, err := newProfile(o.Owner)
	if err != nil {
		return v, err
	}
	pubJSON, _ := json.Marshal(pub)
	gen, err := v.commit(func(tx *Tx) error {
		meta, err := tx.btx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		for _, kv := range [][2][]byte{{keyFormat, []byte(formatV2)}, {keyVaultID, vaultID}, {keyPublicKeys, pubJSON}} {
			if err := meta.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		if err := createBuckets(tx.btx); err != nil {
			return err
		}
		if err := ks.store(v, tx.btx, vaultID); err != nil {
			return err
		}
		tx.k, tx.root = v.keys, &root{version: rootVersion}
		return tx.PutJSON(blobProfile, profile)
	})
	if err != nil {
		return v, err
	}
	return v, v.remember(gen)
}

func createBuckets(btx *bolt.Tx) error {
	// The audit log is kept in the index bucket (see logStore).
	for _, b := range [][]byte{bucketRecords, bucketIndex, bucketData, bucketVersions} {
		if _, err := btx.CreateBucket(b); err != nil {
			return err
		}
	}
	return nil
}

// keySet is a new vault identity, its passphrase seal and a new data key,
// made before the write lock is taken (scrypt takes about a second).
type keySet struct {
	id       *age.X25519Identity
	sealedID []byte
	dataKey  []byte
	wrapped  []byte
}

func newKeySet(passphrase []byte, workFactor int) (*keySet, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	sealedID, err := sealWithPassphrase([]byte(id.String()), passphrase, workFactor)
	if err != nil {
		return nil, err
	}
	dataKey := newRandom(32)
	var wrapped bytes.Buffer
	w, err := age.Encrypt(&wrapped, id.Recipient())
	if err != nil {
		return nil, err
	}
	w.Write(dataKey)
	if err := w.Close(); err != nil {
		return nil, err
	}
	return &keySet{id: id, sealedID: sealedID, dataKey: dataKey, wrapped: wrapped.Bytes()}, nil
}

// store puts the key set in the meta bucket and makes it the vault's keys.
func (ks *keySet) store(v *Vault, btx *bolt.Tx, vaultID []byte) error {
	meta := btx.Bucket(bucketMeta)
	if err := meta.Put(keyIdentity, ks.sealedID); err != nil {
		return err
	}
	if err := meta.Put(keyDataKey, ks.wrapped); err != nil {
		return err
	}
	if err := meta.Put(keyIdentityCheck, identityCheck(vaultID, ks.id)); err != nil {
		return err
	}
	k, err := deriveKeys(vaultID, ks.dataKey, ks.id.String())
	if err != nil {
		return err
	}
	v.keys, v.identity, v.dataKey, v.vaultID = k, ks.id, bytes.Clone(ks.wrapped), vaultID
	return nil
}

// Open opens an existing vault file, locked. ErrNoVault means there is no
// file at path; ErrInUse that another process holds it past the timeout;
// ErrNotVault and ErrDamaged that the file is not a readable vault; an
// error matching safefile.ErrNotPrivate that other users can write it, or
// read or own it without o.SharedFile.
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
	if err := safefile.CheckPrivate(path, fi, o.SharedFile); err != nil {
		return nil, fmt.Errorf("vault %w", err)
	}
	v := &Vault{path: path, readOnly: o.ReadOnly, now: o.Now, lockTimeout: o.LockTimeout, wholeFile: o.WholeFile, stateDir: o.StateDir,
		maxVersions: o.MaxVersions, actor: o.Actor, warn: o.Warn}
	if err := v.open(o.ReadOnly); err != nil {
		return nil, err
	}
	return v, nil
}

// newerFormat reports whether n, the number of a format "mysafe-vault-n",
// is after the formats this mysafe knows.
func newerFormat(n string) bool {
	i, err := strconv.Atoi(n)
	return err == nil && i > 2
}

// open opens the database and reads its format.
func (v *Vault) open(readOnly bool) error {
	db, err := openDB(v.path, readOnly, v.wholeFile, v.lockTimeout)
	if err != nil {
		return err
	}
	err = v.guard(func() error {
		return db.View(func(btx *bolt.Tx) error {
			meta := btx.Bucket(bucketMeta)
			if meta == nil {
				return fmt.Errorf("%s: %w", v.path, ErrNotVault)
			}
			v.format = string(meta.Get(keyFormat))
			ok := false
			switch v.format {
			case formatV1:
				ok = btx.Bucket(bucketRecords) != nil && btx.Bucket(bucketData) != nil
			case formatV2:
				ok = btx.Bucket(bucketRecords) != nil && btx.Bucket(bucketIndex) != nil && btx.Bucket(bucketData) != nil
			}
			if n, isMysafe := strings.CutPrefix(v.format, formatPrefix); !ok && isMysafe && newerFormat(n) {
				return fmt.Errorf("%s: %w (its format is %q; this mysafe reads %q and %q)", v.path, ErrNewer, v.format, formatV1, formatV2)
			}
			if !ok || len(meta.Get(keyVaultID)) != 16 {
				return fmt.Errorf("%s: %w", v.path, ErrNotVault)
			}
			return nil
		})
	})
	if err != nil {
		db.Close()
		return err
	}
	v.db, v.readOnly = db, readOnly
	return nil
}

// Path returns the vault file's path.
func (v *Vault) Path() string { return v.path }

// Close releases the file and its lock.
func (v *Vault) Close() error { return v.db.Close() }

// PublicKeys returns the owner's public keys; it needs no unlock.
//
// On a locked vault they come from the clear copy in the file, which a
// person with write access to the file could have replaced; on an unlocked
// vault the root's binding hash has checked them.
func (v *Vault) PublicKeys() (PublicKeys, error) {
	var pub PublicKeys
	if v.keys != nil {
		err := v.View(func(tx *Tx) (err error) {
			pub, err = tx.PublicKeys()
			return err
		})
		return pub, err
	}
	err := v.guard(func() error {
		return v.db.View(func(btx *bolt.Tx) error {
			return json.Unmarshal(btx.Bucket(bucketMeta).Get(keyPublicKeys), &pub)
		})
	})
	if err != nil {
		return pub, fmt.Errorf("%w: the public keys are unreadable", ErrTampered)
	}
	return pub, nil
}

// metaValue returns a copy of a meta bucket value.
func (v *Vault) metaValue(key []byte) (val []byte, err error) {
	err = v.guard(func() error {
		return v.db.View(func(btx *bolt.Tx) error {
			val = bytes.Clone(btx.Bucket(bucketMeta).Get(key))
			return nil
		})
	})
	return val, err
}

// errWrongIdentity: the identity is not this vault's (another vault's, or
// one from before rotate-keys), or, in a vault without an identity check,
// the data key is damaged.
var errWrongIdentity = fmt.Errorf("%w: the identity does not open this vault", ErrLocked)

// errDataKeyDamaged: the identity is this vault's, but the data key in the
// file no longer opens with it.
var errDataKeyDamaged = fmt.Errorf("%w: the data key is damaged (the identity is this vault's, but no longer opens it)", ErrTampered)

// identityCheck is a digest of the vault identity's public key, bound to
// the vault id. It tells whether an identity is the vault's without the
// data key; it reveals nothing the public key would not.
func identityCheck(vaultID []byte, id *age.X25519Identity) []byte {
	h := sha256.New()
	h.Write([]byte("mysafe identity check\x00"))
	h.Write(vaultID)
	h.Write([]byte(id.Recipient().String()))
	return h.Sum(nil)[:16]
}

// UnlockWithPassphrase unlocks the vault. A wrong passphrase returns an
// error wrapping ErrLocked; a right one whose identity no longer opens the
// data key, one wrapping ErrTampered.
func (v *Vault) UnlockWithPassphrase(passphrase []byte) error {
	sealedID, err := v.metaValue(keyIdentity)
	if err != nil {
		return err
	}
	idText, err := openWithPassphrase(sealedID, passphrase)
	if err != nil {
		return err
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(idText)))
	if err != nil {
		return fmt.Errorf("%w: stored identity is damaged", ErrTampered)
	}
	err = v.unlock(id)
	if errors.Is(err, errWrongIdentity) {
		// The identity came out of this vault's own seal: it is the right
		// one, so the data key is what changed.
		return errDataKeyDamaged
	}
	return err
}

// UnlockWithIdentity unlocks the vault with its exported identity (an
// AGE-SECRET-KEY-1... string). The wrong identity returns an error wrapping
// ErrLocked; the vault's own identity that no longer opens a damaged data
// key, one wrapping ErrTampered (a vault no command has written to since
// the identity check was introduced cannot tell the two apart: ErrLocked).
func (v *Vault) UnlockWithIdentity(identity string) error {
	id, err := age.ParseX25519Identity(strings.TrimSpace(identity))
	if err != nil {
		return fmt.Errorf("%w: the identity is not an age secret key (AGE-SECRET-KEY-1...)", ErrLocked)
	}
	return v.unlock(id)
}

// unwrap opens the data key in the file with id.
func (v *Vault) unwrap(id *age.X25519Identity) (wrapped, dataKey, vaultID []byte, err error) {
	if wrapped, err = v.metaValue(keyDataKey); err != nil {
		return nil, nil, nil, err
	}
	if vaultID, err = v.metaValue(keyVaultID); err != nil {
		return nil, nil, nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(wrapped), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			// age cannot tell a wrong key from a damaged one; the
			// identity check can.
			check, cerr := v.metaValue(keyIdentityCheck)
			if cerr == nil && check != nil && subtle.ConstantTimeCompare(check, identityCheck(vaultID, id)) == 1 {
				return nil, nil, nil, errDataKeyDamaged
			}
			return nil, nil, nil, errWrongIdentity
		}
		return nil, nil, nil, fmt.Errorf("%w: data key: %v", ErrTampered, err)
	}
	dataKey, err = io.ReadAll(r)
	if err != nil || len(dataKey) != 32 || len(vaultID) != 16 {
		return nil, nil, nil, fmt.Errorf("%w: data key is damaged", ErrTampered)
	}
	return wrapped, dataKey, vaultID, nil
}

func (v *Vault) unlock(id *age.X25519Identity) error {
	wrapped, dataKey, vaultID, err := v.unwrap(id)
	if err != nil {
		return err
	}
	if v.format == formatV1 {
		return v.upgrade(id, dataKey, vaultID)
	}
	k, err := deriveKeys(vaultID, dataKey, id.String())
	if err != nil {
		return err
	}
	// A state folder that cannot be read is remembered, not fatal: reading
	// goes on with a warning, writing is refused (see state.go).
	seen, stateErr := readGeneration(v.stateDir, vaultID)
	v.keys, v.identity, v.dataKey, v.vaultID, v.seen, v.stateErr = k, id, wrapped, vaultID, seen, stateErr
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

// Reopen closes the file and opens it again, read-only (with a shared lock)
// or for writing, keeping the vault unlocked. Commands unlock (scrypt)
// before they take the write lock, and hold only the shared lock while they
// ask a person something. If another process rotated the vault's keys
// while this one waited, Reopen returns ErrLocked: the identity this
// process unlocked with no longer opens the vault.
func (v *Vault) Reopen(readOnly bool) error {
	if err := v.db.Close(); err != nil {
		return err
	}
	if err := v.open(readOnly); err != nil {
		return err
	}
	if v.keys == nil {
		return nil
	}
	wrapped, err := v.metaValue(keyDataKey)
	if err != nil {
		return err
	}
	if !bytes.Equal(wrapped, v.dataKey) {
		v.keys = nil
		return fmt.Errorf("%w: the vault's keys were changed (mysafe rotate-keys) while this command waited; run it again", ErrLocked)
	}
	return nil
}

// CanRecord returns a *StateError when the rollback guard could not check
// or record the generation a write would reach: Update refuses to write
// then. A command whose write is optional (recording a use) asks first.
func (v *Vault) CanRecord() error { return v.canRecord() }

// canRecord returns an error, before a write, when the generation the
// write reaches could not be checked or recorded: the write must not
// happen then.
func (v *Vault) canRecord() error {
	err := v.stateErr
	if err == nil {
		err = probeGeneration(v.stateDir, v.vaultID)
	}
	return refused(err)
}

// rememberRead raises the highest generation seen to gen after a command
// that only read; a state folder that cannot be used is reported through
// the warning function, once, and does not fail the command.
func (v *Vault) rememberRead(gen uint64) {
	err := v.stateErr
	if err == nil {
		err = v.remember(gen)
	}
	if err != nil && !v.warned && v.warn != nil {
		v.warned = true
		v.warn(err)
	}
}

// remember raises the highest generation seen to gen.
func (v *Vault) remember(gen uint64) error {
	if gen <= v.seen {
		return nil
	}
	v.seen = gen
	return raiseGeneration(v.stateDir, v.vaultID, gen)
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
