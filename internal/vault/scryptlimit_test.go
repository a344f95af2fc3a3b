package vault

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Someone who can write the vault file raises the work factor of the
// passphrase seal to 22. Unlocking refuses it as damaged before running
// scrypt (which would take about a minute and 4 GiB), with the right
// passphrase as with a wrong one.
func TestScryptWorkFactorAboveLimitRefused(t *testing.T) {
	v, path := newVault(t)
	v.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		seal := bytes.Clone(meta.Get(keyIdentity))
		from := []byte(fmt.Sprintf(" %d\n", testWorkFactor))
		if bytes.Count(seal, from) != 1 {
			return fmt.Errorf("no scrypt stanza with work factor %d in the seal:\n%s", testWorkFactor, seal)
		}
		return meta.Put(keyIdentity, bytes.Replace(seal, from, []byte(" 22\n"), 1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{pass, []byte("wrong")} {
		v, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = v.UnlockWithPassphrase(p)
		v.Close()
		if !errors.Is(err, ErrTampered) || errors.Is(err, ErrLocked) {
			t.Errorf("unlock of a seal with work factor 22 = %v, want ErrTampered", err)
		}
	}
}
