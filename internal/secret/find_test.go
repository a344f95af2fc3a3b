package secret

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	payments := &Record{ID: "00000000000000a1", Name: "payments", Identifier: "Pay-Prod"}
	twinA := &Record{ID: "00000000000000b2", Name: "twin"}
	twinB := &Record{ID: "00000000000000b1", Name: "twin", Identifier: "twin-b"}
	prod := &Record{ID: "00000000000000c1", Name: "prod"}
	ledger := &Record{ID: "00000000000000d1", Name: "ledger", Identifier: "PROD"}
	self := &Record{ID: "00000000000000e1", Name: "self", Identifier: "self"}
	recs := []*Record{payments, twinA, twinB, prod, ledger, self}

	for _, tc := range []struct {
		ref       string
		want      *Record
		ambiguous []*Record // in id order
	}{
		{ref: "Pay-Prod", want: payments},
		{ref: "pay-prod", want: payments},
		{ref: "PAY-PROD", want: payments},
		{ref: "00000000000000a1", want: payments},
		{ref: "payments", want: payments},
		{ref: "twin-b", want: twinB},
		{ref: "00000000000000b2", want: twinA},
		{ref: "self", want: self}, // one record matching twice is not ambiguous
		{ref: "twin", ambiguous: []*Record{twinB, twinA}},
		{ref: "prod", ambiguous: []*Record{prod, ledger}},
		{ref: "Payments"}, // names are exact
		{ref: "pay"},
		{ref: "00000000000000A1"}, // ids are exact
		{ref: ""},
	} {
		got, err := Find(recs, tc.ref)
		switch {
		case tc.want != nil:
			if err != nil || got != tc.want {
				t.Errorf("Find(%q) = %v, %v; want %s", tc.ref, got, err, tc.want.ID)
			}
		case tc.ambiguous != nil:
			var amb *AmbiguousError
			if !errors.As(err, &amb) {
				t.Errorf("Find(%q) = %v, %v; want an *AmbiguousError", tc.ref, got, err)
				continue
			}
			if got != nil || amb.Ref != tc.ref || len(amb.Candidates) != len(tc.ambiguous) {
				t.Errorf("Find(%q): %v", tc.ref, err)
				continue
			}
			for i, c := range tc.ambiguous {
				if amb.Candidates[i] != c {
					t.Errorf("Find(%q): candidate %d is %s, want %s", tc.ref, i, amb.Candidates[i].ID, c.ID)
				}
			}
			if !strings.HasSuffix(err.Error(), "; use the id") {
				t.Errorf("message %q does not say what to do", err)
			}
		default:
			if got != nil || !errors.Is(err, ErrNotFound) {
				t.Errorf("Find(%q) = %v, %v; want ErrNotFound", tc.ref, got, err)
			}
		}
	}
}

func TestFindMessages(t *testing.T) {
	a := &Record{ID: "00000000000000a1", Name: "twin"}
	b := &Record{ID: "00000000000000a2", Name: "twin", Identifier: "twin-b"}
	_, err := Find([]*Record{b, a}, "twin")
	want := `"twin" matches 2 API secrets: 00000000000000a1 (twin), 00000000000000a2 (twin, identifier twin-b); use the id`
	if err == nil || err.Error() != want {
		t.Errorf("ambiguous:\n got %v\nwant %s", err, want)
	}
	_, err = Find(nil, "nobody")
	if want := `no API secret with identifier, name or id "nobody"`; err == nil || err.Error() != want {
		t.Errorf("not found: got %v, want %s", err, want)
	}
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Ref != "nobody" {
		t.Errorf("not a *NotFoundError: %#v", err)
	}
}

// TestRefKeysCoverMatches checks the promise an index relies on: every
// record a reference matches is found under one of the reference's keys.
func TestRefKeysCoverMatches(t *testing.T) {
	recs := []*Record{
		{ID: "00000000000000a1", Name: "payments", Identifier: "Pay-Prod"},
		{ID: "00000000000000b1", Name: "Straße", Identifier: "STRASSE"},
		{ID: "00000000000000c1", Name: "KELVIN", Identifier: "\u212aelvin"}, // Kelvin sign
		{ID: "00000000000000d1", Name: "00000000000000a1"},
		{ID: "00000000000000e1", Name: "ΣΊΣΥΦΟΣ", Identifier: "σίσυφος"},
	}
	for _, tc := range []struct {
		ref   string
		match []string // ids, in record order
		id    bool     // the reference has the shape of an id
	}{
		{ref: "pay-prod", match: []string{"00000000000000a1"}},
		{ref: "PAY-PROD", match: []string{"00000000000000a1"}},
		{ref: "payments", match: []string{"00000000000000a1"}},
		{ref: "Payments"},
		{ref: "00000000000000a1", match: []string{"00000000000000a1", "00000000000000d1"}, id: true},
		{ref: "strasse", match: []string{"00000000000000b1"}},
		{ref: "Straße", match: []string{"00000000000000b1"}},
		{ref: "kelvin", match: []string{"00000000000000c1"}},
		{ref: "KELVIN", match: []string{"00000000000000c1"}},
		{ref: "ΣΊΣΥΦΟΣ", match: []string{"00000000000000e1"}},
		{ref: "Σίσυφος", match: []string{"00000000000000e1"}},
		{ref: ""},
	} {
		k := RefKeys(tc.ref)
		if (k.ID != "") != tc.id || k.Name != tc.ref {
			t.Errorf("RefKeys(%q) = %+v", tc.ref, k)
		}
		var got []string
		for _, r := range recs {
			if !Matches(r, tc.ref) {
				continue
			}
			got = append(got, r.ID)
			if r.ID != k.ID && FoldIdentifier(r.Identifier) != k.Identifier && r.Name != k.Name {
				t.Errorf("%q matches %s, which none of its keys %+v finds", tc.ref, r.ID, k)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.match, " ") {
			t.Errorf("Matches(_, %q): %v, want %v", tc.ref, got, tc.match)
		}
	}
}

func TestSuggest(t *testing.T) {
	recs := []*Record{
		{ID: "0000000000000001", Name: "payments", Identifier: "payments-prod"},
		{ID: "0000000000000002", Name: "Weather"},
		{ID: "0000000000000003", Name: "maps", Identifier: "maps"},
		{ID: "0000000000000004", Name: "payroll"},
	}
	for _, tc := range []struct {
		ref  string
		want []string
	}{
		{"paymnets", []string{"payments"}},          // two letters swapped
		{"weather", []string{"Weather"}},            // names are exact; case is the likely slip
		{"payments-prd", []string{"payments-prod"}}, // one letter missing
		{"pay", []string{"payments", "payments-prod", "payroll"}},
		{"mpas", nil},             // four letters or fewer: one edit at most, and a swap is two
		{"map", []string{"maps"}}, // one edit
		{"xyz", nil},              // nothing close
		{"ma", nil},               // two letters: no prefix suggestions
		{"paymentz-prod", []string{"payments-prod"}},
	} {
		got := Suggest(recs, tc.ref)
		if len(got) == 0 {
			got = nil
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Suggest(%q) = %q, want %q", tc.ref, got, tc.want)
		}
	}
}
