package secret

import (
	"slices"
	"testing"
	"time"
)

func TestChangedFieldsAndSetContent(t *testing.T) {
	base := func() *Record {
		return &Record{ID: "0123456789abcdef", Name: "pay", URL: "https://a", ClientID: "c", ClientSecret: NewValue("s"),
			Identifier: "p", Method: "GET", Tags: []string{"prod"}, Notes: "n", TokenURL: "https://t", TokenAuth: TokenAuthBasic,
			Owner: "alice", Permission: PermOwner}
	}
	for _, c := range []struct {
		name   string
		change func(r *Record)
		want   []string
	}{
		{"nothing", func(r *Record) {}, nil},
		{"last use, times, access and revisions are not content", func(r *Record) {
			r.LastUsedAt, r.UpdatedAt = time.Now(), time.Now()
			r.Access = []Access{{Name: "bob"}}
			r.Revision, r.SyncedRevision = 4, 3
			r.Permission = PermEdit
		}, nil},
		{"one field", func(r *Record) { r.URL = "https://b" }, []string{FieldURL.Name()}},
		{"the secret", func(r *Record) { r.ClientSecret = NewValue("t") }, []string{FieldClientSecret.Name()}},
		{"several, in order", func(r *Record) { r.Notes, r.Name, r.Tags = "", "pay2", nil }, []string{FieldName.Name(), FieldTags, FieldNotes.Name()}},
		{"every field", func(r *Record) {
			*r = Record{ID: r.ID}
		}, []string{"name", "url", "client-id", "client-secret", "identifier", "method", "tags", "notes", "token-url", "token-auth"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			old, r := base(), base()
			c.change(r)
			if got := r.ChangedFields(old); !slices.Equal(got, c.want) {
				t.Errorf("changed %v, want %v", got, c.want)
			}
			// SetContent brings the old content back and leaves the rest.
			keep := r.Clone()
			r.SetContent(old)
			if got := r.ChangedFields(old); got != nil {
				t.Errorf("after SetContent, still changed: %v", got)
			}
			if r.ID != keep.ID || r.Revision != keep.Revision || !r.LastUsedAt.Equal(keep.LastUsedAt) || r.Permission != keep.Permission {
				t.Error("SetContent changed more than content")
			}
		})
	}
}
