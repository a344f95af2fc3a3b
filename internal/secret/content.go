package secret

import "slices"

// FieldTags names the tags in a list of changed fields; the other names are
// the Field constants reveal --field accepts.
const FieldTags = "tags"

// contentFields are the fields a version of a record keeps and a restore
// brings back: what the record says about the API, not where it came from,
// who may use it or when it was last used. It is read, never changed.
var contentFields = []struct {
	name  string
	equal func(a, b *Record) bool
	copy  func(dst, src *Record)
}{
	{FieldName.Name(), same(FieldName), func(d, s *Record) { d.Name = s.Name }},
	{FieldURL.Name(), same(FieldURL), func(d, s *Record) { d.URL = s.URL }},
	{FieldClientID.Name(), same(FieldClientID), func(d, s *Record) { d.ClientID = s.ClientID }},
	{FieldClientSecret.Name(), func(a, b *Record) bool { return a.ClientSecret.Equal(b.ClientSecret) },
		func(d, s *Record) { d.ClientSecret = NewValueBytes(s.ClientSecret.b) }},
	{FieldIdentifier.Name(), same(FieldIdentifier), func(d, s *Record) { d.Identifier = s.Identifier }},
	{FieldMethod.Name(), same(FieldMethod), func(d, s *Record) { d.Method = s.Method }},
	{FieldTags, func(a, b *Record) bool { return slices.Equal(a.Tags, b.Tags) }, func(d, s *Record) { d.Tags = slices.Clone(s.Tags) }},
	{FieldNotes.Name(), same(FieldNotes), func(d, s *Record) { d.Notes = s.Notes }},
	{FieldTokenURL.Name(), same(FieldTokenURL), func(d, s *Record) { d.TokenURL = s.TokenURL }},
	{FieldTokenAuth.Name(), same(FieldTokenAuth), func(d, s *Record) { d.TokenAuth = s.TokenAuth }},
}

// same compares one field of two records.
func same(f Field) func(a, b *Record) bool {
	return func(a, b *Record) bool { return f.Value(a) == f.Value(b) }
}

// ChangedFields returns the names of the content fields (name, url,
// client-id, client-secret, identifier, method, tags, notes, token-url,
// token-auth) in which r differs from old, in that order; nil when none
// does. Times, owner, permissions and access are not content: a change to
// them alone is not a new version of the record.
func (r *Record) ChangedFields(old *Record) []string {
	var out []string
	for _, f := range contentFields {
		if !f.equal(r, old) {
			out = append(out, f.name)
		}
	}
	return out
}

// SetContent copies the content fields (see ChangedFields) of from into r,
// leaving its id, owner, permissions, access and times as they are.
func (r *Record) SetContent(from *Record) {
	for _, f := range contentFields {
		f.copy(r, from)
	}
}
