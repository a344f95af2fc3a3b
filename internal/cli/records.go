package cli

import (
	"fmt"
	"strings"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// This file is the ground floor of the command files: how a command finds
// an API secret, names it in a message and records its use. Command files
// use these helpers instead of reaching into each other.

// openFind opens the vault with a shared lock and finds the record ref
// names. The caller closes the vault, and may Reopen it for writing.
func openFind(f *Factory, ref string) (*vault.Vault, *secret.Record, error) {
	v, err := f.OpenVault(true)
	if err != nil {
		return nil, nil, err
	}
	var r *secret.Record
	if err := v.View(func(tx *vault.Tx) (err error) {
		r, err = tx.Find(ref)
		return err
	}); err != nil {
		v.Close()
		return nil, nil, err
	}
	return v, r, nil
}

// recordUse stores the time of this use of the record with id in v, which
// the caller has reopened for writing.
func recordUse(v *vault.Vault, id string) error {
	return v.Update(func(tx *vault.Tx) error {
		r, err := tx.Find(id)
		if err != nil {
			return err
		}
		r.LastUsedAt = tx.Now()
		return tx.Put(r)
	})
}

// noSecretErr is the error for using the client secret of a record that
// has none.
func noSecretErr(r *secret.Record, ref string) error {
	return &exitError{class: errNotFound, msg: fmt.Sprintf("%s has no client secret", describe(r)),
		hint: "set one with `mysafe edit " + ref + " --client-secret-stdin`"}
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
