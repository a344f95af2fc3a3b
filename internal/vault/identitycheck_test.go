package vault

import (
	"bytes"
	"errors"
	"testing"

	"filippo.io/age"
	bolt "go.etcd.io/bbolt"
)

// damageDataKey flips one character of the wrapped file key in the data
// key's age header: the header still parses, but no identity opens it, and
// age alone cannot tell that from a wrong identity.
func damageDataKey(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		dk := bytes.Clone(meta.Get(keyDataKey))
		stanza := bytes.Index(dk, []byte("\n-> X25519 "))
		body := stanza + 1 + bytes.IndexByte(dk[stanza+1:], '\n') + 1
		if stanza < 0 || body >= len(dk) {
			t.Fatalf("no X25519 stanza in the data key")
		}
		// A letter for a letter: still base64.
		if dk[body+5] == 'A' {
			dk[body+5] = 'B'
		} else {
			dk[body+5] = 'A'
		}
		return meta.Put(keyDataKey, dk)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedDataKeyIsNotAWrongIdentity(t *testing.T) {
	v, path := newVault(t)
	add(t, v, rec("payments", "pay"))
	id := v.Identity()
	v.Close()
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	unlock := func(how func(*Vault) error) error {
		v, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		return how(v)
	}
	withID := func(id string) func(*Vault) error {
		return func(v *Vault) error { return v.UnlockWithIdentity(id) }
	}
	withPass := func(v *Vault) error { return v.UnlockWithPassphrase(pass) }

	// Intact: another vault's identity is a wrong identity.
	if err := unlock(withID(other.String())); !errors.Is(err, ErrLocked) || errors.Is(err, ErrTampered) {
		t.Fatalf("another identity: %v, want ErrLocked", err)
	}

	damageDataKey(t, path)
	for name, tc := range map[string]struct {
		how  func(*Vault) error
		want error
	}{
		"its own identity":   {withID(id), ErrTampered},
		"its passphrase":     {withPass, ErrTampered},
		"another identity":   {withID(other.String()), ErrLocked},
		"a wrong passphrase": {func(v *Vault) error { return v.UnlockWithPassphrase([]byte("wrong")) }, ErrLocked},
	} {
		err := unlock(tc.how)
		if !errors.Is(err, tc.want) || errors.Is(err, ErrLocked) == errors.Is(err, ErrTampered) {
			t.Errorf("damaged data key, %s: %v, want only %v", name, err, tc.want)
		}
	}

	// A vault written before the identity check: the passphrase still
	// knows; an identity cannot tell, and says it does not open the vault.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyIdentityCheck) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := unlock(withPass); !errors.Is(err, ErrTampered) {
		t.Errorf("no identity check, passphrase: %v, want ErrTampered", err)
	}
	if err := unlock(withID(id)); !errors.Is(err, ErrLocked) {
		t.Errorf("no identity check, own identity: %v, want ErrLocked", err)
	}
}

// A vault without an identity check (written before it existed) gets one
// on its next write; rotate-keys writes the new identity's.
func TestIdentityCheckIsWritten(t *testing.T) {
	v, path := newVault(t)
	v.Close()
	check := func() []byte {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var c []byte
		db.View(func(tx *bolt.Tx) error {
			c = bytes.Clone(tx.Bucket(bucketMeta).Get(keyIdentityCheck))
			return nil
		})
		return c
	}
	first := check()
	if len(first) != 16 {
		t.Fatalf("a new vault has identity check %x", first)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyIdentityCheck) })
	db.Close()
	v, err = reopenWith(t, path, pass)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Reopen(false); err != nil {
		t.Fatal(err)
	}
	add(t, v, rec("payments", "pay"))
	v.Close()
	if got := check(); !bytes.Equal(got, first) {
		t.Errorf("after a write: identity check %x, want %x", got, first)
	}
}
