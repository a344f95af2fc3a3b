package secret

import (
	"reflect"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 123, time.UTC)
	before := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) // negative Unix time
	r := &Record{
		ID: "0123456789abcdef", UID: NewUID(), Name: "payments", URL: "https://api.example.com", ClientID: "cid",
		ClientSecret: NewValue("s3cret"), Identifier: "pay", Method: "POST", Tags: []string{"a", "b"}, Notes: "line1\nline2",
		TokenURL: "https://auth.example.com/token", TokenAuth: TokenAuthForm,
		Owner: "alice", OwnerKey: "age1xyz", Permission: PermEdit, CreatedAt: before, UpdatedAt: now, LastUsedAt: now,
		Access:   []Access{{Name: "alice", Permission: PermOwner}, {Name: "bob", Recipient: "age1bob", Permission: PermView, GrantedAt: now, RevokedAt: now}},
		Revision: 300, SyncedRevision: 299,
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Record
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got.ClientSecret.Reveal() != "s3cret" {
		t.Fatalf("secret: %q", got.ClientSecret.Reveal())
	}
	got.ClientSecret, r.ClientSecret = Value{}, Value{}
	if !reflect.DeepEqual(&got, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, *r)
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	r := &Record{ID: "0123456789abcdef", Name: "n", URL: "https://x", Tags: []string{"t"}, CreatedAt: time.Unix(5, 0),
		Access: []Access{{Name: "a"}}, Revision: 2}
	b, _ := r.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 3, 0xff})
	f.Add([]byte{1, 14, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if r.UnmarshalBinary(data) != nil {
			return
		}
		// Whatever decodes must encode and decode to the same record.
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var again Record
		if err := again.UnmarshalBinary(b); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
