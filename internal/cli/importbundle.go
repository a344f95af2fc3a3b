package cli

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

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

// bundleErr maps share.Open's errors to exit codes.
func bundleErr(err error) error {
	switch {
	case errors.Is(err, share.ErrUnsigned):
		return withHint(errLocked, err, "only if you trust how the file reached you, add --allow-unsigned")
	case errors.Is(err, share.ErrNotAddressed):
		return withHint(errLocked, err, "your public keys are `mysafe key` and `mysafe key --pq`")
	case errors.Is(err, share.ErrTampered), errors.Is(err, share.ErrBadSignature), errors.Is(err, share.ErrForwarded):
		return &exitError{class: errLocked, err: err}
	case errors.Is(err, share.ErrMalformed), errors.Is(err, share.ErrUnsupportedVersion), errors.Is(err, share.ErrExpired):
		return &exitError{class: errUsage, err: err}
	}
	return err
}

type importLine struct {
	name   string
	action share.Action
	reason string
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
	var lines []importLine
	var failure error
	var opened *share.Opened
	var senderKeys []string
	var learnt []Contact // contacts as identifySender left them
	err = v.View(func(tx *vault.Tx) error {
		profile, err := tx.Profile()
		if err != nil {
			return err
		}
		x, err := age.ParseX25519Identity(profile.SharingIdentity)
		if err != nil {
			return err
		}
		pq, err := age.ParseHybridIdentity(profile.PQIdentity)
		if err != nil {
			return err
		}
		if opened, err = share.Open(data, []age.Identity{x, pq}, tx.Now(), share.OpenOptions{AllowUnsigned: o.AllowUnsigned}); err != nil {
			return bundleErr(err)
		}
		p := opened.Payload
		if _, err := alreadyImported(tx, p.ID); err != nil {
			return err
		}
		if learnt, err = loadContacts(tx); err != nil {
			return err
		}
		var from string
		senderKeys, from, err = identifySender(f, o, opened, learnt)
		if err != nil {
			return err
		}
		f.chatter("Bundle from %s, permission %s, %d API secret(s):", from, p.Permission, len(p.Records))
		for _, r := range p.Records {
			f.chatter("  %s (%s)", r.Name, r.URL)
		}
		if p.ExpiresAt != nil {
			f.chatter("It expires on %s.", fmtTime(*p.ExpiresAt))
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
	})
	if err != nil {
		return err
	}
	if err := v.Reopen(false); err != nil {
		return err
	}
	p := opened.Payload
	err = v.Update(func(tx *vault.Tx) error {
		imported, err := alreadyImported(tx, p.ID) // again: another process may have been quicker
		if err != nil {
			return err
		}
		contacts, err := loadContacts(tx)
		if err != nil {
			return err
		}
		for i, c := range contacts { // a signing key confirmed just now
			if j := slices.IndexFunc(learnt, func(l Contact) bool { return l.Key == c.Key }); j >= 0 && c.Signing == "" {
				contacts[i].Signing = learnt[j].Signing
			}
		}
		if err := tx.PutJSON(blobContacts, contacts); err != nil {
			return err
		}

		byUID := map[string]*secret.Record{}
		recs, err := tx.Records()
		if err != nil {
			return err
		}
		for _, r := range recs {
			byUID[r.UID] = r
		}
		pub, err := tx.PublicKeys()
		if err != nil {
			return err
		}
		self := []string{pub.Sharing, pub.SharingPQ}
		for _, rec := range p.Records {
			local := byUID[rec.UID]
			d := share.Decide(local, share.Incoming{Record: rec, Permission: p.Permission, SenderKeys: senderKeys, Self: self})
			if d.Action == share.ActionConflict && o.Resolve != "" {
				d = resolveConflict(local, d, rec, o.Resolve)
			}
			if d.Action == share.ActionUpdate && local != nil && d.Record.Revision == local.Revision &&
				d.Record.Permission != local.Permission && p.CreatedAt.Before(permissionSince(local, self)) {
				// Same content, other permission, but from a bundle made
				// before the one that set the current permission.
				d = share.Decision{Action: share.ActionUnchanged, Reason: fmt.Sprintf("an older bundle: your %s permission from a newer one stays", local.Permission)}
			}
			lines = append(lines, importLine{name: rec.Name, action: d.Action, reason: d.Reason})
			unverified := !slices.Contains(senderKeys, rec.OwnerKey)
			if d.Action == share.ActionAdd && unverified {
				// Nothing vouches for the owner this record names: say so
				// wherever the owner is shown, and never let a stranger pass
				// a record off as one of a contact's.
				for _, c := range contacts {
					if c.Key == rec.OwnerKey {
						d = share.Decision{Action: share.ActionRefuse, Reason: fmt.Sprintf("it claims to belong to your contact %s, who did not sign this bundle", c.Name)}
					}
				}
				if d.Record != nil {
					d.Record.Owner += " (unverified)"
				}
				lines[len(lines)-1] = importLine{name: rec.Name, action: d.Action, reason: d.Reason}
			}
			switch d.Action {
			case share.ActionAdd, share.ActionUpdate:
				r := d.Record
				if d.Action == share.ActionUpdate && !r.Mine() && len(senderKeys) > 0 {
					// The owner's bundle says who has access now.
					r.Access = nil
				}
				if local != nil {
					r.ID, r.LastUsedAt = local.ID, local.LastUsedAt
				}
				if len(r.Access) == 0 {
					r.Access = bundleAccess(p, rec, unverified)
				}
				if err := tx.Put(r); err != nil {
					return withHint(errConflict, fmt.Errorf("%s: %w", rec.Name, err), "change the identifier of your own API secret, then import again")
				}
			case share.ActionConflict:
				failure = withHint(errConflict, fmt.Errorf("%s: %s", rec.Name, d.Reason), "nothing was imported; import again with --resolve theirs or --resolve mine")
			case share.ActionRefuse:
				failure = &exitError{class: errNotPermitted, msg: fmt.Sprintf("%s: %s", rec.Name, d.Reason), hint: "nothing was imported"}
			}
		}
		if failure != nil {
			return failure
		}
		imported = append(imported, importedBundle{ID: p.ID, ImportedAt: tx.Now()})
		return tx.PutJSON(blobImports, imported)
	})
	for _, l := range lines {
		word := map[share.Action]string{share.ActionAdd: "added", share.ActionUpdate: "updated", share.ActionUnchanged: "unchanged",
			share.ActionConflict: "CONFLICT", share.ActionRefuse: "refused"}[l.action]
		if err == nil || l.action == share.ActionConflict || l.action == share.ActionRefuse {
			fmt.Fprintf(f.IO.ErrOut, "  %-9s %s: %s\n", word, display.Safe(l.name), display.Safe(l.reason))
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "Imported bundle: %d API secret(s)\n", len(lines))
	return nil
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

// identifySender says who made the bundle. Only a contact whose known
// signing key made the signature is trusted to update records
// (senderKeys); the first bundle from a contact teaches mysafe their signing
// key, after the user has seen its fingerprint.
func identifySender(f *Factory, o *ImportOptions, opened *share.Opened, contacts []Contact) (senderKeys []string, from string, err error) {
	p := opened.Payload
	// A bundle nobody vouches for is only imported when a person said so:
	// at the prompt, or with --yes.
	unknown := func(from string) ([]string, string, error) {
		if !o.Yes && !f.IO.CanPrompt() {
			return nil, "", usageErr(fmt.Sprintf("bundle from %s: nobody to confirm importing it; if you trust how it reached you, import again with --yes", from))
		}
		return nil, from, nil
	}
	if !opened.Signed {
		f.chatter("mysafe: warning: this bundle is NOT signed; nothing says who made it")
		return unknown(fmt.Sprintf("%q (unsigned, unverified)", p.Sender.Name))
	}
	for i := range contacts {
		c := &contacts[i]
		if !opened.ClaimsSender(c.Key) {
			continue
		}
		if c.Signing == "" {
			f.chatter("First bundle from contact %s: signed by %s.", c.Name, opened.SignerFingerprint)
			f.chatter("Check that fingerprint with %s (`mysafe key --signing | ssh-keygen -lf -` on their side).", c.Name)
			if !o.Yes && !f.IO.CanPrompt() {
				return nil, "", usageErr(fmt.Sprintf("first bundle from contact %s: nobody to confirm its signing key %s; after checking it, import again with --yes", c.Name, opened.SignerFingerprint))
			}
			if !o.Yes {
				ok, err := f.Prompter.Confirm("Is it theirs?")
				if err != nil {
					return nil, "", err
				}
				if !ok {
					return nil, "", &exitError{class: errUsage, msg: "not imported: signing key not confirmed"}
				}
			}
			c.Signing = opened.SignerKey
		}
		if opened.SentBy(c.Key, c.Signing) {
			return opened.SenderKeys(), "contact " + c.Name + " (signature verified)", nil
		}
		return nil, "", withHint(errLocked, fmt.Errorf("bundle claims to come from contact %s but is signed by %s, not by their known key", c.Name, opened.SignerFingerprint),
			"if "+c.Name+" really changed keys, remove and add the contact again")
	}
	f.chatter("mysafe: warning: the sender %q is not one of your contacts; signing key %s", p.Sender.Name, opened.SignerFingerprint)
	return unknown(fmt.Sprintf("%q (not a contact, key %s)", p.Sender.Name, opened.SignerFingerprint))
}

// bundleAccess lists who has access to a record received in a bundle: its
// owner and the bundle's recipients.
// Access is dated by the bundle's signed creation time, which is how a later
// import tells an older bundle's permission from a newer one's.
func bundleAccess(p share.Payload, rec share.Record, unverified bool) []secret.Access {
	owner := rec.Owner
	if unverified {
		owner += " (unverified)"
	}
	acc := []secret.Access{{Name: owner, Recipient: rec.OwnerKey, Permission: secret.PermOwner}}
	for _, r := range p.Recipients {
		if r.Recipient == rec.OwnerKey {
			continue
		}
		acc = append(acc, secret.Access{Name: r.Name, Recipient: r.Recipient, Permission: p.Permission, GrantedAt: p.CreatedAt})
	}
	return acc
}

// permissionSince returns when the bundle that gave this vault's user their
// current permission on r was made, or the zero time when unknown.
func permissionSince(r *secret.Record, self []string) time.Time {
	for _, a := range r.Access {
		if slices.Contains(self, a.Recipient) && !a.Revoked() {
			return a.GrantedAt
		}
	}
	return time.Time{}
}

// resolveConflict applies the user's choice for a conflicting record.
func resolveConflict(local *secret.Record, d share.Decision, rec share.Record, choice string) share.Decision {
	switch strings.ToLower(choice) {
	case "theirs":
		return share.Decision{Action: share.ActionUpdate, Reason: "conflict resolved: took the bundle's version", Record: d.Record}
	default: // mine
		r := local.Clone()
		r.SyncedRevision = max(local.SyncedRevision, rec.Revision)
		r.Revision = max(local.Revision, rec.Revision) + 1
		return share.Decision{Action: share.ActionUpdate, Reason: "conflict resolved: kept your version; share it again so the others get it", Record: r}
	}
}
