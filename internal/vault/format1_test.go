package vault

import (
	"reflect"
	"testing"
)

func TestCatalogRoundTrip(t *testing.T) {
	c := &catalog{
		records: []catEntry{
			{key: "\x00\x01\x02\x03\x04\x05\x06\x07", nonce: "0123456789abcdef", name: "payments", ident: "pay"},
			{key: "\xff\x01\x02\x03\x04\x05\x06\x07", nonce: "fedcba9876543210", name: "ledger"},
		},
		blobs: []catEntry{{key: "profile", nonce: "aaaaaaaaaaaaaaaa"}},
	}
	got, err := unmarshalCatalog(c.marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
	}
	empty, err := unmarshalCatalog((&catalog{}).marshal())
	if err != nil || len(empty.records) != 0 || len(empty.blobs) != 0 {
		t.Fatalf("empty catalog: %+v, %v", empty, err)
	}
}

func TestCatalogRejectsMalformed(t *testing.T) {
	good := (&catalog{records: []catEntry{{key: "k", nonce: "n", name: "x"}}}).marshal()
	for name, b := range map[string][]byte{
		"empty":         nil,
		"wrong version": append([]byte{9}, good[1:]...),
		"truncated":     good[:len(good)-1],
		"trailing data": append(append([]byte{}, good...), 0),
		"huge count":    {catalogVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		if _, err := unmarshalCatalog(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
