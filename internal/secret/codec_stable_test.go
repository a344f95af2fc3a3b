package secret

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestCodecEmptyRecord(t *testing.T) {
	b, err := (&Record{}).MarshalBinary()
	if err != nil || !bytes.Equal(b, []byte{codecVersion}) {
		t.Fatalf("empty record encodes as %x, %v", b, err)
	}
	r := Record{Name: "left over"}
	if err := r.UnmarshalBinary(b); err != nil || r.Name != "" {
		t.Errorf("UnmarshalBinary did not replace the contents: %+v, %v", r, err)
	}
}

// Fields a newer version adds are skipped by this one.
func TestCodecSkipsUnknownFields(t *testing.T) {
	b, _ := (&Record{Name: "payments", Revision: 3}).MarshalBinary()
	b = append(b, 200, 3, 'x', 'y', 'z')
	b = append(b, tagURL, 4, 'h', 't', 't', 'p')
	var r Record
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if r.Name != "payments" || r.Revision != 3 || r.URL != "http" {
		t.Errorf("got %+v", r)
	}
}

func TestCodecRejectsMalformed(t *testing.T) {
	valid, _ := (&Record{Name: "payments", CreatedAt: time.Unix(1, 0)}).MarshalBinary()
	overlong := append([]byte{codecVersion, tagRevision, 11}, bytes.Repeat([]byte{0xff}, 10)...)
	overlong = append(overlong, 0x01)
	for name, b := range map[string][]byte{
		"nil":               nil,
		"other version":     append([]byte{2}, valid[1:]...),
		"length past end":   {codecVersion, tagName, 5, 'a'},
		"missing length":    {codecVersion, tagName},
		"truncated length":  {codecVersion, tagName, 0x80},
		"bad time":          {codecVersion, tagCreated, 2, 0x80, 0x80},
		"time with extra":   {codecVersion, tagCreated, 2, 0x02, 0x00},
		"bad revision":      {codecVersion, tagRevision, 0},
		"revision overflow": overlong,
		"bad access":        {codecVersion, tagAccess, 2, accName, 5},
		"bad access time":   {codecVersion, tagAccess, 3, accGranted, 1, 0x80},
	} {
		var r Record
		if err := r.UnmarshalBinary(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s (%x): err = %v, want ErrCorrupt", name, b, err)
		}
		if err := r.UnmarshalView(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s (%x): view err = %v, want ErrCorrupt", name, b, err)
		}
	}
	// Every cut of a valid encoding either decodes or fails cleanly.
	full, _ := (&Record{ID: "0123456789abcdef", Name: "n", ClientSecret: NewValue("s"), Tags: []string{"a", "b"},
		Access: []Access{{Name: "alice", GrantedAt: time.Unix(7, 0)}}, Revision: 1 << 40}).MarshalBinary()
	for i := range full {
		var r Record
		_ = r.UnmarshalBinary(full[:i])
	}
}

// Times round-trip to the nanosecond across the whole range UnixNano covers,
// including before 1970.
func TestCodecTimes(t *testing.T) {
	for _, tm := range []time.Time{
		time.Unix(0, 0), time.Unix(0, 1), time.Unix(0, -1), time.Unix(-1, 999999999),
		time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2260, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2025, 3, 1, 9, 30, 0, 123, time.FixedZone("CET", 3600)),
	} {
		b, _ := (&Record{LastUsedAt: tm}).MarshalBinary()
		var r Record
		if err := r.UnmarshalBinary(b); err != nil || !r.LastUsedAt.Equal(tm) || r.LastUsedAt.Location() != time.UTC {
			t.Errorf("%v came back as %v, %v", tm, r.LastUsedAt, err)
		}
	}
	var max [binary.MaxVarintLen64]byte
	n := binary.PutVarint(max[:], -1<<63)
	b := append([]byte{codecVersion, tagUpdated, byte(n)}, max[:n]...)
	var r Record
	if err := r.UnmarshalBinary(b); err != nil || r.UpdatedAt.UnixNano() != -1<<63 {
		t.Errorf("smallest time: %v, %v", r.UpdatedAt, err)
	}
}

// FuzzUnmarshalBinaryStable checks that decoding never panics and that the
// encoding is canonical after one pass: whatever decodes, encodes to bytes
// that decode and encode to the same bytes again.
func FuzzUnmarshalBinaryStable(f *testing.F) {
	for _, r := range []*Record{
		{},
		{ID: "0123456789abcdef", UID: "u", Name: "n", URL: "https://x", ClientID: "c", ClientSecret: NewValue("s"),
			Identifier: "i", Method: "GET", Tags: []string{"a", "b"}, Notes: "x\ny", Owner: "o", OwnerKey: "k",
			Permission: PermEdit, CreatedAt: time.Unix(-5, 3), UpdatedAt: time.Unix(5, 0), LastUsedAt: time.Unix(0, 0),
			Access:   []Access{{}, {Name: "b", Recipient: "r", Permission: PermView, GrantedAt: time.Unix(9, 0), RevokedAt: time.Unix(10, 0)}},
			Revision: 1<<64 - 1, SyncedRevision: 1},
	} {
		b, _ := r.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{codecVersion, tagTag, 0, tagTag, 0})                // empty tags vanish
	f.Add([]byte{codecVersion, tagRevision, 2, 0x80, 0x00})          // overlong varint
	f.Add([]byte{codecVersion, tagName, 1, 'a', tagName, 1, 'b'})    // repeated field
	f.Add([]byte{codecVersion, tagAccess, 0, tagAccess, 2, 99, 0})   // empty access entries
	f.Add([]byte{codecVersion, 0, 0, 255, 1, 0, tagClientSecret, 0}) // unknown tags
	f.Fuzz(func(t *testing.T, data []byte) {
		var r1 Record
		err := r1.UnmarshalBinary(data)
		// The view is decoded into a record that held another one, as a
		// listing decodes record after record.
		view := Record{Tags: []string{"old"}, Access: []Access{{Name: "old"}}}
		if verr := view.UnmarshalView(data); (verr == nil) != (err == nil) {
			t.Fatalf("UnmarshalBinary says %v, UnmarshalView %v", err, verr)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if !reflect.DeepEqual(withEmptyLists(view), withEmptyLists(r1)) {
			t.Fatalf("view %+v, want %+v", view, r1)
		}
		b1, err := r1.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var r2 Record
		if err := r2.UnmarshalBinary(b1); err != nil {
			t.Fatalf("re-decoding %x: %v", b1, err)
		}
		b2, _ := r2.MarshalBinary()
		if !bytes.Equal(b1, b2) {
			t.Fatalf("encoding is not stable:\n%x\n%x", b1, b2)
		}
	})
}

// withEmptyLists is r with empty tags and access lists nil, as
// UnmarshalBinary leaves them (UnmarshalView may leave them empty).
func withEmptyLists(r Record) Record {
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	if len(r.Access) == 0 {
		r.Access = nil
	}
	return r
}

// TestUnmarshalView: a record decoded as a view is the record, its strings
// are b's own bytes (so changing b changes them), and decoding one record
// after another into the same Record allocates nothing.
func TestUnmarshalView(t *testing.T) {
	full := Record{ID: "0123456789abcdef", UID: "u", Name: "payments", URL: "https://x.example", ClientID: "c",
		Identifier: "i", Method: "GET", TokenURL: "https://t.example", TokenAuth: "basic", Tags: []string{"a", "b"},
		Notes: "x\ny", Owner: "o", OwnerKey: "k", Permission: PermEdit, CreatedAt: time.Unix(-5, 3).UTC(),
		UpdatedAt: time.Unix(5, 0).UTC(), LastUsedAt: time.Unix(7, 0).UTC(),
		Access:   []Access{{Name: "b", Recipient: "r", Permission: PermView, GrantedAt: time.Unix(9, 0).UTC()}},
		Revision: 4, SyncedRevision: 3, OwnerUnverified: true}
	b, _ := full.MarshalBinary()
	other, _ := (&Record{ID: "fedcba9876543210", Name: "billing", Tags: []string{"c"}}).MarshalBinary()
	r := Record{Notes: "left over"}
	if err := r.UnmarshalView(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, full) {
		t.Errorf("got  %+v\nwant %+v", r, full)
	}
	at := bytes.Index(b, []byte("payments"))
	b[at] = 'P'
	if r.Name != "Payments" {
		t.Errorf("name %q does not read b's bytes", r.Name)
	}
	b[at] = 'p'
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.UnmarshalView(other); err != nil {
			t.Fatal(err)
		}
		if err := r.UnmarshalView(b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("decoding into a used Record allocates %v times, want 0", allocs)
	}
	if err := r.UnmarshalView(other); err != nil {
		t.Fatal(err)
	}
	if r.Name != "billing" || !slices.Equal(r.Tags, []string{"c"}) || len(r.Access) != 0 || r.Notes != "" {
		t.Errorf("the second record kept fields of the first: %+v", r)
	}
}
