package share

import (
	"bytes"
	"strings"
	"testing"

	"filippo.io/age"
)

// BenchmarkOpenHostileTags opens the bundle a stranger could send to cost
// the importer time: 150,000 tags in one record, 2.7 MB in all. The strict
// check refuses it at the 65th tag.
func BenchmarkOpenHostileTags(b *testing.B) {
	bob, dave := newUser(b, "bob"), newUser(b, "dave")
	raw := unsignRecords(rawBundlePayload(b, dave, bob, dave.record(1, bob)))
	tags := `"tags":[` + strings.TrimSuffix(strings.Repeat(`"tag-0000000000",`, 150000), ",") + `]`
	data := sealSigned(b, bytes.Replace(raw, []byte(`"tags":[]`), []byte(tags), 1), dave.signing, bob)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Open(data, []age.Identity{bob.x}, testNow(), OpenOptions{}); err == nil {
			b.Fatal("opened")
		}
	}
}

// BenchmarkOpenBundle opens a genuine bundle of 100 owner-signed records.
func BenchmarkOpenBundle(b *testing.B) {
	bob, alice := newUser(b, "bob"), newUser(b, "alice")
	var recs []Record
	for i := range 100 {
		r := alice.record(1, bob)
		r.UID = NewBundleID()
		r.Identifier = "id-" + strings.Repeat("x", i%5) + NewBundleID()[:8]
		recs = append(recs, r)
	}
	data := alice.bundle(b, alice.sender(), []*user{bob}, recs...)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Open(data, []age.Identity{bob.x}, testNow(), OpenOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
