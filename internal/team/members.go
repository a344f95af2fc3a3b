package team

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mysafe/mysafe/internal/share"
)

// PinnedContact returns the contact a member's pinned line stands for: the
// keys of their card, or their plain key. Errors wrap share.ErrInvalidCard
// or share.ErrInvalidRecipient.
func PinnedContact(name, pinned string, now time.Time) (share.Contact, error) {
	pinned = strings.TrimSpace(pinned)
	if share.LooksLikeCard(pinned) {
		c, err := share.ParseCard(pinned)
		if err != nil {
			return share.Contact{}, err
		}
		return share.ContactFromCard(name, c, now), nil
	}
	r, err := share.ParseRecipient(pinned)
	if err != nil {
		return share.Contact{}, err
	}
	return share.ContactFromKey(name, r, now), nil
}

// SameKeys reports whether two contacts hold the same keys.
func SameKeys(a, b share.Contact) bool {
	return a.Signing == b.Signing && len(a.Keys()) == len(b.Keys()) && a.HasKey(b.Key) && (b.PQ == "" || a.HasKey(b.PQ))
}

// Fingerprint returns what a person compares to check a pinned line: the
// signing key's fingerprint of a card, or the key's own fingerprint.
func Fingerprint(c share.Contact) string {
	if c.Signing != "" {
		if _, fp, err := share.ParseSigningKey(c.Signing); err == nil {
			return fp
		}
	}
	if r, err := share.ParseRecipient(c.Key); err == nil {
		return r.Fingerprint()
	}
	return c.Key
}

// CardNote is something about the member files of the repository that the
// user should know.
type CardNote struct {
	Member string
	Path   string
	// Problem is true for a file that contradicts what the user pinned (a
	// card swapped in the repository); false for a card the user has not
	// pinned yet.
	Problem bool
	Text    string
}

// CheckCards compares the member files of the repository (path to
// content) with the members the user pinned, and with self, the user's
// own name and card. A file that differs from the pinned card is reported
// as a problem and never used; a card of someone not pinned is reported
// with its fingerprint, for the user to check before pinning it.
func CheckCards(files map[string]string, st *State, self share.Contact, now time.Time) []CardNote {
	var notes []CardNote
	for p, text := range files {
		name, ok := ParseMemberPath(p)
		if !ok {
			continue
		}
		got, err := PinnedContact(name, text, now)
		var want *share.Contact
		var removed bool
		if strings.EqualFold(name, self.Name) {
			want = &self
		} else if m := st.Member(name); m != nil {
			c, err := PinnedContact(m.Name, m.Pinned, now)
			if err == nil {
				want, removed = &c, m.Removed()
			}
		}
		switch {
		case err != nil && want != nil:
			notes = append(notes, CardNote{Member: name, Path: p, Problem: true, Text: fmt.Sprintf("the card of %s in the repository is damaged (%v); your pinned card stays", name, err)})
		case err != nil:
			notes = append(notes, CardNote{Member: name, Path: p, Text: fmt.Sprintf("%s in the repository is not a valid card; ignored", p)})
		case want != nil && !SameKeys(*want, got):
			notes = append(notes, CardNote{Member: name, Path: p, Problem: true, Text: fmt.Sprintf(
				"the card of %s in the repository (%s) differs from the one you pinned (%s): not trusted; ask %s which is theirs", name, Fingerprint(got), Fingerprint(*want), name)})
		case want == nil:
			notes = append(notes, CardNote{Member: name, Path: p, Text: fmt.Sprintf(
				"%s is in the team repository with key %s; check that fingerprint with them, then `mysafe team add-member %s CARD`", name, Fingerprint(got), name)})
		case removed:
			notes = append(notes, CardNote{Member: name, Path: p, Text: fmt.Sprintf("%s, whom you removed from the team, still has a card in the repository", name)})
		}
	}
	slices.SortFunc(notes, func(a, b CardNote) int { return strings.Compare(a.Path, b.Path) })
	return notes
}
