package vault

import (
	"bytes"
	"errors"
	"testing"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
)

// TestForgedDataKeyIsRefused is the attack on the data key itself. Someone
// who can write the vault file and knows the vault's public key (say, from
// an old copy of the wrapped key and a guess, or a leak) writes a data key of
// their own, wrapped to that public key so that unlocking unwraps it, and
// seals every record, index page, blob and the root again under the keys it
// gives, with records of their choosing. Nothing but the cryptography stands
// in the way: the forged file is complete and consistent, as the control
// case shows, where the same forgery made with the identity itself opens.
// Because the keys are derived from the data key and the identity, the
// attacker, who lacks the identity, cannot seal anything the owner's unlock
// accepts.
func TestForgedDataKeyIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name         string
		withIdentity bool // the control: an attacker who had the identity
	}{{"with the public key only", false}, {"control: with the identity", true}} {
		t.Run(tc.name, func(t *testing.T) {
			v, path := newVault(t)
			add(t, v, rec("alpha", "a"))
			owner := v.identity
			v.Close()

			forgeDataKey(t, path, owner, tc.withIdentity)

			v, err := reopen(t, path)
			if tc.withIdentity {
				if err != nil {
					t.Fatalf("the control forgery does not open, so the test does not reach the keys: %v", err)
				}
				var got string
				v.View(func(tx *Tx) error {
					r, err := tx.Find("planted")
					if err == nil {
						got = r.ClientSecret.Reveal()
					}
					return err
				})
				if got != "attacker-chosen" {
					t.Fatalf("control: planted record reads %q", got)
				}
				return
			}
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("forged data key: %v, want ErrTampered", err)
			}
			if err := v.View(func(tx *Tx) error { _, err := tx.Find("planted"); return err }); !errors.Is(err, ErrTampered) {
				t.Fatalf("a forged record is readable: %v", err)
			}
		})
	}
}

// forgeDataKey rewrites the vault at path as the attacker of
// TestForgedDataKeyIsRefused: a fresh data key wrapped to owner's public
// key, and every value sealed again under the keys derived from it with the
// attacker's own identity (or, for the control, with owner itself), plus a
// planted record. The passphrase-sealed identity is left as it is, so the
// owner unlocks as usual.
func forgeDataKey(t *testing.T, path string, owner *age.X25519Identity, withIdentity bool) {
	t.Helper()
	v, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.UnlockWithPassphrase(pass); err != nil {
		t.Fatal(err)
	}
	if err := v.Reopen(false); err != nil {
		t.Fatal(err)
	}
	sealedID, err := v.metaValue(keyIdentity)
	if err != nil {
		t.Fatal(err)
	}
	dataKey := newRandom(32)
	var wrapped bytes.Buffer
	w, err := age.Encrypt(&wrapped, owner.Recipient()) // only the public key
	if err != nil {
		t.Fatal(err)
	}
	w.Write(dataKey)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	derive := owner
	if !withIdentity {
		if derive, err = age.GenerateX25519Identity(); err != nil {
			t.Fatal(err)
		}
	}
	ks := &keySet{id: derive, sealedID: sealedID, dataKey: dataKey, wrapped: wrapped.Bytes()}
	planted := rec("planted", "planted")
	planted.ClientSecret = secret.NewValue("attacker-chosen")
	if _, err := v.reseal(ks, func(tx *Tx) error { return tx.Put(planted) }); err != nil {
		t.Fatal(err)
	}
}
