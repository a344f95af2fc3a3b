package cli

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

const blobImports = "imported_bundles"

// importedBundle remembers one imported bundle, so importing it again is
// reported instead of silently repeated.
type importedBundle struct {
	ID         string    `json:"id"`
	ImportedAt time.Time `json:"imported_at"`
}

// isBundle reports whether data looks like an age file (binary or armored),
// which is what share bundles are.
func isBundle(data []byte) bool {
	return bytes.HasPrefix(data, []byte("age-encryption.org/")) || bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN AGE ENCRYPTED FILE-----"))
}

// openBundle reads the vault's sharing side and opens a bundle with its
// sharing identities. It returns the bundle, the sharing side, and the
// user's public sharing keys.
func openBundle(tx *vault.Tx, data []byte, allowUnsigned bool) (*share.Opened, *sharingSide, []string, error) {
	side, err := readSharing(tx)
	if err != nil {
		return nil, nil, nil, err
	}
	ids, self, err := side.identities()
	if err != nil {
		return nil, nil, nil, err
	}
	o, err := share.Open(data, ids, tx.Now(), share.OpenOptions{AllowUnsigned: allowUnsigned})
	if err != nil {
		return nil, nil, nil, bundleErr(err)
	}
	return o, side, self, nil
}

// senderErr maps share.IdentifySender's errors to exit codes.
func senderErr(err error) error {
	if errors.Is(err, share.ErrUnknownSigningKey) {
		return &exitError{class: errUsage, err: err}
	}
	return &exitError{class: errLocked, err: err}
}

func importBundleRun(o *ImportOptions, data []byte) error {
	f := o.F
	// Read, check and ask under a shared lock; take the write lock only to
	// store, so nobody else waits while a person reads the summary.
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	defer v.Close()
	var opened *share.Opened
	err = v.View(func(tx *vault.Tx) error {
		var side *sharingSide
		var err error
		if opened, side, _, err = openBundle(tx, data, o.AllowUnsigned); err != nil {
			return err
		}
		if _, err := alreadyImported(tx, opened.ID()); err != nil {
			return err
		}
		sender, err := share.IdentifySender(opened, side.contacts, o.TrustSigningKey)
		if err != nil {
			return senderErr(err)
		}
		return confirmImport(f, o, opened, sender)
	})
	if err != nil {
		return err
	}
	if err := v.Reopen(false); err != nil {
		return err
	}
	var plan *share.ImportPlan
	err = v.Update(func(tx *vault.Tx) error {
		// Everything again, on what the vault holds now: another process
		// may have changed it since.
		opened, side, self, err := openBundle(tx, data, o.AllowUnsigned)
		if err != nil {
			return err
		}
		imported, err := alreadyImported(tx, opened.ID())
		if err != nil {
			return err
		}
		contacts := side.contacts
		sender, err := share.IdentifySender(opened, contacts, o.TrustSigningKey)
		if err != nil {
			return senderErr(err)
		}
		if sender.Pinned {
			i := slices.IndexFunc(contacts, func(c share.Contact) bool { return c.Name == sender.Contact.Name })
			contacts[i] = *sender.Contact
			if err := tx.PutJSON(blobContacts, contacts); err != nil {
				return err
			}
		}
		recs, err := tx.Records()
		if err != nil {
			return err
		}
		plan = share.PlanImport(opened, sender, share.VaultState{Self: self, Contacts: contacts, Records: recs}, share.Resolution(strings.ToLower(o.Resolve)))
		if err := plan.Err(); err != nil {
			return planErr(err)
		}
		change := vault.Change{Note: "share bundle"}
		if sender.Contact != nil {
			change.By = sender.Contact.Name
		}
		tx.SetChange(change)
		for _, s := range plan.Steps {
			if s.Action != share.ActionAdd && s.Action != share.ActionUpdate {
				continue
			}
			if s.Record.ID == "" {
				s.Record.ID = secret.NewID()
			}
			if err := tx.Put(s.Record); err != nil {
				return withHint(errConflict, fmt.Errorf("%s: %w", display.Safe(s.Name), err), "nothing was imported")
			}
			detail := "from the share bundle of " + plan.From
			if s.Action == share.ActionAdd {
				detail = "new, " + detail
			}
			if err := tx.Log(logEntry(audit.Import, s.Record, detail)); err != nil {
				return err
			}
		}
		imported = append(imported, importedBundle{ID: opened.ID(), ImportedAt: tx.Now()})
		return tx.PutJSON(blobImports, imported)
	})
	if plan != nil {
		printPlan(f, plan, err == nil)
	}
	if err != nil {
		return err
	}
	f.chatter("Imported bundle: %d API secret(s)", len(plan.Steps))
	return nil
}

// confirmImport shows what the bundle holds and who sent it, and asks.
// A bundle nobody vouches for is only imported when a person said so: at
// the prompt, or with --yes.
func confirmImport(f *Factory, o *ImportOptions, opened *share.Opened, sender share.SenderCheck) error {
	p := opened.Payload
	switch {
	case !opened.Signed:
		f.notice("mysafe: warning: this bundle is NOT signed; nothing says who made it")
	case sender.Contact == nil:
		f.notice("mysafe: warning: the sender %s is not one of your contacts; signing key %s", display.Safe(fmt.Sprintf("%q", p.Sender.Name)), opened.SignerFingerprint)
	case sender.Pinned:
		f.notice("Trusting %s as the signing key of contact %s, as you checked.", opened.SignerFingerprint, display.Safe(sender.Contact.Name))
	}
	from := display.Safe(share.DescribeSender(opened, sender))
	f.notice("Bundle from %s, %d API secret(s):", from, len(p.Records))
	for _, r := range p.Records {
		f.notice("  %s (%s)", display.Safe(r.Name), display.Safe(r.URL))
	}
	if p.ExpiresAt != nil {
		f.notice("It expires on %s.", fmtTime(*p.ExpiresAt))
	}
	if sender.Contact == nil && !o.Yes && !f.IO.CanPrompt() {
		return usageErr(fmt.Sprintf("bundle from %s: nobody to confirm importing it; if you trust how it reached you, import again with --yes", from))
	}
	if !o.Yes && f.IO.CanPrompt() {
		ok, err := f.Prompter.Confirm("Import it?")
		if err != nil {
			return err
		}
		if !ok {
			return &exitError{class: errUsage, msg: "not imported"}
		}
	}
	return nil
}

// planErr maps the first failing step of an import plan to an exit code.
func planErr(err error) error {
	if errors.Is(err, share.ErrConflict) {
		return withHint(errConflict, err, "nothing was imported; import again with --resolve theirs or --resolve mine")
	}
	return &exitError{class: errNotPermitted, err: err, hint: "nothing was imported"}
}

// printPlan lists what happened to each record; after a failure, only the
// records that caused it.
func printPlan(f *Factory, plan *share.ImportPlan, done bool) {
	words := map[share.Action]string{share.ActionAdd: "added", share.ActionUpdate: "updated", share.ActionUnchanged: "unchanged",
		share.ActionConflict: "CONFLICT", share.ActionRefuse: "refused"}
	for _, s := range plan.Steps {
		if done || s.Action == share.ActionConflict || s.Action == share.ActionRefuse {
			fmt.Fprintf(f.IO.ErrOut, "  %-9s %s: %s\n", words[s.Action], display.Safe(s.Name), display.Safe(s.Reason))
		}
	}
}

// alreadyImported returns the ids of the bundles imported so far, or a
// conflict error when id is one of them.
func alreadyImported(tx *vault.Tx, id string) ([]importedBundle, error) {
	var imported []importedBundle
	if _, err := tx.GetJSON(blobImports, &imported); err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(imported, func(b importedBundle) bool { return b.ID == id }); i >= 0 {
		return nil, withHint(errConflict, fmt.Errorf("bundle %s was already imported on %s", id, fmtTime(imported[i].ImportedAt)), "nothing was changed")
	}
	return imported, nil
}
