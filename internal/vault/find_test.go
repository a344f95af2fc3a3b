package vault

import (
	"errors"
	"testing"

	"github.com/mysafe/mysafe/internal/secret"
)

// TestFindFollowsTheRule checks that the vault's lookup, which reads only
// the records its index names, resolves every reference exactly as
// secret.Find does over all records: same record, same ambiguity, same
// "not found".
func TestFindFollowsTheRule(t *testing.T) {
	v, _ := newVault(t)
	defer v.Close()
	recs := []*secret.Record{
		rec("payments", "Pay-Prod"),
		rec("twin", ""),
		rec("twin", "twin-b"),
		rec("prod", ""),
		rec("ledger", "PROD"),
		rec("self", "self"),
		rec("Straße", "STRASSE"),
		rec("kelvin-sign", "\u212aelvin"),
	}
	for _, r := range recs {
		add(t, v, r)
	}
	// A record named after another's id.
	byID := rec(recs[0].ID, "")
	add(t, v, byID)
	recs = append(recs, byID)

	refs := []string{"Pay-Prod", "pay-prod", "PAY-PROD", "payments", "Payments", "pay",
		"twin", "twin-b", "prod", "PROD", "ledger", "self", "strasse", "Straße", "STRASSE",
		"kelvin", "KELVIN", "kelvin-sign", "", "nobody", recs[1].ID, recs[3].ID,
		recs[0].ID, "0000000000000000"}
	for _, ref := range refs {
		want, wantErr := secret.Find(recs, ref)
		var got *secret.Record
		err := v.View(func(tx *Tx) (err error) { got, err = tx.Find(ref); return err })
		var amb, wantAmb *secret.AmbiguousError
		switch {
		case wantErr == nil:
			if err != nil || got.ID != want.ID {
				t.Errorf("Find(%q) = %v, %v; want %s", ref, got, err, want.ID)
			}
		case errors.As(wantErr, &wantAmb):
			if !errors.As(err, &amb) || len(amb.Candidates) != len(wantAmb.Candidates) {
				t.Errorf("Find(%q) = %v; want %v", ref, err, wantErr)
				continue
			}
			for i := range amb.Candidates {
				if amb.Candidates[i].ID != wantAmb.Candidates[i].ID {
					t.Errorf("Find(%q): candidate %d is %s, want %s", ref, i, amb.Candidates[i].ID, wantAmb.Candidates[i].ID)
				}
			}
		default:
			if !errors.Is(wantErr, secret.ErrNotFound) || !errors.Is(err, secret.ErrNotFound) {
				t.Errorf("Find(%q) = %v, %v; want %v", ref, got, err, wantErr)
			}
		}
	}
}
