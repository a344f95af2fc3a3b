package cli

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// logEntry is the audit log entry for action on r (nil: the whole vault).
// detail names fields, versions or counts, never values.
func logEntry(action audit.Action, r *secret.Record, detail string) audit.Entry {
	e := audit.Entry{Action: action, Detail: detail}
	if r != nil {
		e.RecordID, e.Name, e.Identifier = r.ID, r.Name, r.Identifier
	}
	return e
}

// logAll queues entries in tx's audit log.
func logAll(tx *vault.Tx, entries ...audit.Entry) error {
	for _, e := range entries {
		if err := tx.Log(e); err != nil {
			return err
		}
	}
	return nil
}

// readOnlyVault reports whether err means the vault file cannot be
// opened for writing here (a 0400 file, a read-only mount).
func readOnlyVault(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// notRecorded tells the person that a use left no trace.
func (f *Factory) notRecorded() {
	f.notice("mysafe: note: the vault is read-only here; this use was not recorded in the audit log")
}

// logUses records uses in the audit log in a transaction of their own,
// once the values are handed over: a command that fails records nothing. A
// vault this user may only read is used without recording, and the
// command says so on stderr.
func (f *Factory) logUses(entries ...audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	v, err := f.OpenVault(false)
	if readOnlyVault(err) {
		f.notRecorded()
		return nil
	}
	if err != nil {
		return err
	}
	defer v.Close()
	return v.Update(func(tx *vault.Tx) error { return logAll(tx, entries...) })
}

// changedDetail names the fields the last change to r changed, from its
// history.
func changedDetail(tx *vault.Tx, r *secret.Record) string {
	h, err := tx.History(r.ID)
	if err != nil || len(h) == 0 {
		return ""
	}
	return strings.Join(h[len(h)-1].Changed, ", ")
}
