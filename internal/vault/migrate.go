package vault

import (
	"fmt"
	"os"
	"path/filepath"

	"filippo.io/age"
	bolt "go.etcd.io/bbolt"
)

// OldCopySuffix names the copy of a format-1 vault kept beside it by the
// upgrade to format 2, until `mysafe check` confirms the upgraded vault.
const OldCopySuffix = ".format1"

// upgrade turns a format-1 vault into format 2 in one bbolt transaction,
// after keeping a copy of the file at path+OldCopySuffix: a crash leaves
// the old vault or the new one, never a mix. The vault is reopened as it
// was (read-only or not) afterwards.
func (v *Vault) upgrade(id *age.X25519Identity, dataKey, vaultID []byte) error {
	k1, err := deriveFormat1Keys(vaultID, dataKey, id.String())
	if err != nil {
		return err
	}
	k2, err := deriveKeys(vaultID, dataKey, id.String())
	if err != nil {
		return err
	}
	wasReadOnly := v.readOnly
	if err := v.Reopen(false); err != nil {
		return err
	}
	if v.format == formatV2 {
		// Another process upgraded it while this one waited for the lock.
		if err := v.Reopen(wasReadOnly); err != nil {
			return err
		}
		return v.unlock(id)
	}
	if v.seen, err = readGeneration(v.stateDir, vaultID); err != nil {
		return refused(err)
	}
	if err := probeGeneration(v.stateDir, vaultID); err != nil {
		return refused(err)
	}
	oldCopy := v.path + OldCopySuffix
	if err := v.copyTo(oldCopy); err != nil {
		return fmt.Errorf("keeping a copy of the format-1 vault: %w", err)
	}
	v.keys, v.identity, v.vaultID = k2, id, vaultID
	gen, err := v.commit(func(tx *Tx) error {
		btx := tx.btx
		old, err := readFormat1(btx, k1)
		if err != nil {
			return err
		}
		for _, b := range [][]byte{bucketRecords, bucketData} {
			if err := btx.DeleteBucket(b); err != nil {
				return err
			}
		}
		meta := btx.Bucket(bucketMeta)
		if err := meta.Delete(keyCatalog); err != nil {
			return err
		}
		if err := createBuckets(btx); err != nil {
			return err
		}
		if err := meta.Put(keyFormat, []byte(formatV2)); err != nil {
			return err
		}
		tx.root = &root{version: rootVersion}
		for _, r := range old.records {
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		for name, b := range old.blobs {
			if err := tx.PutBlob(name, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		v.keys = nil
		os.Remove(oldCopy)
		return err
	}
	v.format = formatV2
	if err := v.wipe(); err != nil {
		return err
	}
	wrapped, err := v.metaValue(keyDataKey)
	if err != nil {
		return err
	}
	v.dataKey, v.oldCopy = wrapped, oldCopy
	if err := v.remember(gen); err != nil {
		return err
	}
	return v.Reopen(wasReadOnly)
}

// UpgradedFrom returns the path of the format-1 copy when this process
// upgraded the vault, "" otherwise.
func (v *Vault) UpgradedFrom() string { return v.oldCopy }

// copyTo writes a consistent copy of the database to path (0600), through a
// temporary file in the same folder renamed over path.
func (v *Vault) copyTo(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	err = v.guard(func() error {
		return v.db.View(func(btx *bolt.Tx) error {
			_, err := btx.WriteTo(tmp)
			return err
		})
	})
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	syncDir(filepath.Dir(path))
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
