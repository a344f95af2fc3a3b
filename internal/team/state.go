package team

import (
	"slices"
	"strings"
	"time"

	"github.com/mysafe/mysafe/internal/share"
)

// State is what a vault remembers of its team. It lives sealed in the
// vault, never in the repository.
type State struct {
	// Remote is the repository's URL or path, as git takes it.
	Remote string `json:"remote"`
	// Checkout is the vault's own working copy of the repository.
	Checkout string `json:"checkout"`
	// Head is the remote commit the last sync saw (after its push).
	Head string `json:"head,omitempty"`
	// Seen lists, sorted, the record files processed so far; they are
	// never processed again, and one missing from the remote is reported.
	Seen []string `json:"seen,omitempty"`
	// Members are the members this vault pinned.
	Members []Member `json:"members,omitempty"`
	// Shared lists the ids of the user's own records shared through the
	// team.
	Shared []string `json:"shared,omitempty"`
	// Accepted is, per record id, the highest revision accepted from the
	// team.
	Accepted map[string]uint64 `json:"accepted,omitempty"`
	// Published is, per record id, what was last published of it.
	Published map[string]Published `json:"published,omitempty"`
}

// Published is the last publication of one of the user's records.
type Published struct {
	// Key is PublishedKey of the record as published.
	Key string `json:"key"`
	// File is the record file it was published in.
	File string `json:"file"`
}

// Member is a person (or a CI job) of the team, as this vault pinned them.
type Member struct {
	Name string `json:"name"`
	// Pinned is the line the user pinned: a contact card, or a plain public
	// key for a member without mysafe.
	Pinned    string    `json:"pinned"`
	AddedAt   time.Time `json:"added_at"`
	RemovedAt time.Time `json:"removed_at,omitzero"`
}

// Removed reports whether the member was removed from the team.
func (m Member) Removed() bool { return !m.RemovedAt.IsZero() }

// IsCard reports whether the member was pinned with a contact card.
func (m Member) IsCard() bool { return share.LooksLikeCard(m.Pinned) }

// Member returns the member called name (in any case), or nil.
func (s *State) Member(name string) *Member {
	for i := range s.Members {
		if strings.EqualFold(s.Members[i].Name, name) {
			return &s.Members[i]
		}
	}
	return nil
}

// Active returns the members not removed.
func (s *State) Active() []Member {
	var out []Member
	for _, m := range s.Members {
		if !m.Removed() {
			out = append(out, m)
		}
	}
	return out
}

// HasSeen reports whether the record file p was processed already.
func (s *State) HasSeen(p string) bool {
	_, ok := slices.BinarySearch(s.Seen, p)
	return ok
}

// MarkSeen adds record files to Seen.
func (s *State) MarkSeen(paths ...string) {
	for _, p := range paths {
		if i, ok := slices.BinarySearch(s.Seen, p); !ok {
			s.Seen = slices.Insert(s.Seen, i, p)
		}
	}
}

// IsShared reports whether the user's record uid is shared through the
// team.
func (s *State) IsShared(uid string) bool { return slices.Contains(s.Shared, uid) }

// Share marks the user's record uid as shared through the team.
func (s *State) Share(uid string) {
	if !s.IsShared(uid) {
		s.Shared = append(s.Shared, uid)
	}
}

// Accept raises the highest accepted revision of uid to rev.
func (s *State) Accept(uid string, rev uint64) {
	if s.Accepted == nil {
		s.Accepted = map[string]uint64{}
	}
	s.Accepted[uid] = max(s.Accepted[uid], rev)
}

// SetPublished records what was last published of uid, and in which file.
func (s *State) SetPublished(uid, key, file string) {
	if s.Published == nil {
		s.Published = map[string]Published{}
	}
	s.Published[uid] = Published{Key: key, File: file}
}
