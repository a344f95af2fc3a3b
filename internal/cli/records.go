package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/ref"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// This file is the ground floor of the command files: how a command finds,
// names, filters, changes and records the use of an API secret, and how it
// reads contacts and resolves references. Command files use these helpers
// instead of reaching into each other; format.go holds the formatting ones.

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

// checkLogForUse checks v's audit log as recording a use will, before a
// value is handed over (see vault.Tx.CheckLogForUse).
func checkLogForUse(v *vault.Vault) error {
	return v.View(func(tx *vault.Tx) error { return tx.CheckLogForUse() })
}

// recordUse records a use in the audit log of v, which the caller has
// reopened for writing; the entry's time becomes the API secret's last use.
func recordUse(v *vault.Vault, e audit.Entry) error {
	return v.Update(func(tx *vault.Tx) error { return tx.Log(e) })
}

// noSecretErr is the error for using the client secret of a record that
// has none.
func noSecretErr(r *secret.Record, ref string) error {
	return &exitError{class: errNotFound, msg: fmt.Sprintf("%s has no client secret", describe(r)),
		hint: "set one with `mysafe edit " + ref + " --client-secret-stdin`"}
}

// describe names a record for a message to a person, escaped for the
// terminal.
func describe(r *secret.Record) string {
	s := fmt.Sprintf("%s (id %s", r.Name, r.ID)
	if r.Identifier != "" {
		s += ", identifier " + r.Identifier
	}
	return display.Safe(s + ")")
}

// claimer reads the owner's profile and keys once and returns a function
// that does what claimNew does, for imports of many records.
func claimer(tx *vault.Tx) (func(r *secret.Record), error) {
	p, err := tx.Profile()
	if err != nil {
		return nil, err
	}
	pub, err := tx.PublicKeys()
	if err != nil {
		return nil, err
	}
	now := tx.Now()
	return func(r *secret.Record) {
		r.Owner, r.Permission, r.Revision = p.Owner, secret.PermOwner, 1
		if r.CreatedAt.IsZero() {
			r.CreatedAt = now
		}
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = now
		}
		r.Access = []secret.Access{{Name: p.Owner, Recipient: pub.Sharing, Permission: secret.PermOwner, GrantedAt: now}}
		// A file's Last use is kept, but none is later than the import:
		// the audit log vouches for an imported Last use only up to the
		// import's entry, and `check` would take a later one for a use
		// the log lost.
		if r.LastUsedAt.After(now) {
			r.LastUsedAt = now
		}
	}, nil
}

// conflictHint adds what to do about an identifier already in use.
func conflictHint(err error) error {
	var ce *vault.ConflictError
	if asErr(err, &ce) {
		return withHint(errConflict, err, "choose another --identifier")
	}
	return err
}

// findEditable finds a record the user may change.
func findEditable(tx *vault.Tx, ref, what string) (*secret.Record, error) {
	r, err := tx.Find(ref)
	if err != nil {
		return nil, err
	}
	return r, requireEdit(r, what)
}

// requireEdit refuses changes to a record shared with view permission.
func requireEdit(r *secret.Record, what string) error {
	if r.CanEdit() {
		return nil
	}
	return &exitError{class: errNotPermitted,
		msg:  fmt.Sprintf("cannot %s %s: %s shared it with you with view permission", what, describe(r), r.Owner),
		hint: "ask the owner for edit permission"}
}

// touch marks a change to the shared fields.
func touch(r *secret.Record, tx *vault.Tx) {
	r.UpdatedAt = tx.Now()
	r.Revision++
}

// filterRecords keeps the records that carry every tag and contain search.
func filterRecords(recs []*secret.Record, tags []string, search string, shared bool) []*secret.Record {
	search = strings.ToLower(search)
	out := recs[:0:0]
	for _, r := range recs {
		if keepRecord(r, tags, search, shared) {
			out = append(out, r)
		}
	}
	return out
}

// keepRecord reports whether r carries every tag, contains lowerSearch
// (already lower case; empty matches all) and, with shared, is shared.
func keepRecord(r *secret.Record, tags []string, lowerSearch string, shared bool) bool {
	return hasAllTags(r, tags) && (lowerSearch == "" || matches(r, lowerSearch)) && (!shared || isShared(r))
}

// sortRecords sorts by name without regard to case, then by name, then by
// id, so the order is the same on every run.
func sortRecords(recs []*secret.Record) {
	type keyed struct {
		key nameKey
		r   *secret.Record
	}
	ks := make([]keyed, len(recs))
	for i, r := range recs {
		ks[i] = keyed{nameKeyOf(r), r}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return compareNames(a.key, b.key) })
	for i := range ks {
		recs[i] = ks[i].r
	}
}

// nameKey is what records are sorted by: name without regard to case,
// then name, then id.
type nameKey struct{ lower, name, id string }

func nameKeyOf(r *secret.Record) nameKey { return nameKey{strings.ToLower(r.Name), r.Name, r.ID} }

func compareNames(a, b nameKey) int {
	if c := strings.Compare(a.lower, b.lower); c != 0 {
		return c
	}
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

func hasAllTags(r *secret.Record, tags []string) bool {
	for _, t := range tags {
		if !secret.HasTag(r.Tags, t) {
			return false
		}
	}
	return true
}

// matches reports whether lowered search occurs in one of the searchable fields.
func matches(r *secret.Record, search string) bool {
	for _, s := range []string{r.Name, r.Identifier, r.URL, r.ClientID, r.Notes} {
		if containsFold(s, search) {
			return true
		}
	}
	return false
}

// isShared reports whether a record came from someone else or was shared.
func isShared(r *secret.Record) bool {
	if !r.Mine() {
		return true
	}
	for _, a := range r.Access {
		if a.Permission != secret.PermOwner {
			return true
		}
	}
	return false
}

// containsFold is strings.Contains ignoring case; search is already lower
// case. ASCII fields take a fast path without allocating.
func containsFold(s, lowerSearch string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), lowerSearch)
		}
	}
	n := len(lowerSearch)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowerSearch[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// asErr is errors.As for a target of any type.
func asErr[T any](err error, target *T) bool { return errors.As(err, target) }

// blobContacts names the vault blob that holds the contacts.
const blobContacts = "contacts"

// loadContacts returns the contacts stored in the vault.
func loadContacts(tx *vault.Tx) ([]share.Contact, error) {
	var cs []share.Contact
	_, err := tx.GetJSON(blobContacts, &cs)
	return cs, err
}

// validateContactName refuses a contact name that could pass for a key or
// break a list: one word, no commas.
func validateContactName(name string) error {
	if name == "" || len(name) > 64 || strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == ',' }) >= 0 || strings.HasPrefix(name, "age1") || strings.HasPrefix(name, "ssh-") || strings.HasPrefix(name, share.CardPrefix) {
		return usageErr(fmt.Sprintf("invalid contact name %q: one word, no spaces or commas, not a key", name))
	}
	return nil
}

// firstKeyLine returns the first non-empty, non-comment line of a key file.
func firstKeyLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return line
		}
	}
	return ""
}

// maxCardFileLen bounds a card or key file: a card or key is one line.
const maxCardFileLen = 64 << 10

// resolveRefs unlocks the vault once (or opens the bundle src names), if
// there is anything to look up, and returns the value of every reference
// and the audit log entries that record their use as action, one per API
// secret (none for a bundle). An unknown one fails them all. Token
// references are fetched once every record is found, after the vault's read
// lock is let go: a token endpoint may take its time.
func resolveRefs(f *Factory, refs []ref.Ref, src bundleSource, action audit.Action) (map[ref.Ref]string, []audit.Entry, error) {
	if len(refs) == 0 {
		return map[ref.Ref]string{}, nil, nil
	}
	var find ref.Finder
	vaultPath := ""
	var uses []audit.Entry
	if src.active() {
		var err error
		if find, err = src.finder(f); err != nil {
			return nil, nil, err
		}
	} else {
		type found struct {
			r   *secret.Record
			err error
		}
		recs := map[string]found{}
		if err := f.View(func(tx *vault.Tx) error {
			if err := tx.CheckLogForUse(); err != nil {
				return err
			}
			for _, r := range refs {
				if _, ok := recs[r.Record]; !ok {
					rec, err := tx.Find(r.Record)
					recs[r.Record] = found{rec, err}
					if err == nil && !slices.ContainsFunc(uses, func(e audit.Entry) bool { return e.RecordID == rec.ID }) {
						uses = append(uses, logEntry(action, rec, ""))
					}
				}
			}
			return nil
		}); err != nil {
			return nil, nil, err
		}
		vaultPath = f.Config().VaultPath
		find = func(name string) (*secret.Record, error) { return recs[name].r, recs[name].err }
	}
	values, err := ref.Resolve(refs, find, func(rec *secret.Record, r ref.Ref) (string, error) {
		return refToken(f, vaultPath, rec, r)
	})
	var nf *ref.NotFoundError
	if errors.As(err, &nf) {
		hint := "see `mysafe list`"
		if errors.Is(err, ref.ErrEmptySecret) {
			hint = "reveal another field with " + nf.Ref.Record + "/FIELD, or set the secret with `mysafe edit " + nf.Ref.Record + " --client-secret-stdin`"
		}
		var amb *secret.AmbiguousError
		if errors.As(err, &amb) {
			return nil, nil, err
		}
		return nil, nil, &exitError{class: errNotFound, err: err, hint: hint}
	}
	return values, uses, err
}

// maxTemplateInput bounds the template read from stdin or a file, and a
// dotenv file of `exec --env-file`.
const maxTemplateInput = 16 << 20

// versionErr adds a hint to a version that is not kept.
func versionErr(err error, ref string) error {
	var nf *vault.VersionNotFoundError
	if errors.As(err, &nf) {
		return withHint(errNotFound, err, "see `mysafe history "+ref+"`")
	}
	return err
}
