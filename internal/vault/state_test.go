package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestUnusableStateFolder: when the rollback guard's state cannot be read
// or written, reading goes on with one warning and writing is refused
// before anything changes. Each case works for root too: a path below a
// regular file, and a state file that is a folder, stop root as well.
func TestUnusableStateFolder(t *testing.T) {
	cases := map[string]func(t *testing.T, state string, v *Vault){
		"state folder below a regular file": func(t *testing.T, state string, _ *Vault) {
			if err := os.RemoveAll(state); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(state, []byte("a file"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"state file is a folder": func(t *testing.T, state string, v *Vault) {
			f := generationFile(state, v.vaultID)
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(f, 0o700); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, breakState := range cases {
		t.Run(name, func(t *testing.T) {
			v, path, state := stateVault(t)
			ident := v.Identity()
			add(t, v, rec("alpha", "a"))
			v.Close()
			v = mustOpen(t, path, Options{StateDir: state})
			v.UnlockWithIdentity(ident)
			breakState(t, state, v)
			v.Close()
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			var warnings []error
			v = mustOpen(t, path, Options{StateDir: state, Warn: func(err error) { warnings = append(warnings, err) }})
			if err := v.UnlockWithIdentity(ident); err != nil {
				t.Fatalf("unlock: %v", err)
			}
			for range 2 {
				if err := v.View(func(tx *Tx) error { _, err := tx.Find("alpha"); return err }); err != nil {
					t.Fatalf("read: %v", err)
				}
			}
			var se *StateError
			if len(warnings) != 1 || !errors.As(warnings[0], &se) || se.Refused {
				t.Fatalf("warnings %v, want one StateError", warnings)
			}
			err = v.Update(func(tx *Tx) error { return tx.Put(rec("beta", "b")) })
			if !errors.As(err, &se) || !se.Refused {
				t.Fatalf("write: %v, want a refusing StateError", err)
			}
			if err := v.ChangePassphrase([]byte("other"), testWorkFactor); !errors.As(err, &se) {
				t.Fatalf("passwd: %v, want StateError", err)
			}
			if err := v.RotateKeys([]byte("other"), testWorkFactor); !errors.As(err, &se) {
				t.Fatalf("rotate-keys: %v, want StateError", err)
			}
			if rep, err := v.Check(false); err != nil || !rep.OK() {
				t.Fatalf("check: %+v %v", rep, err)
			}
			v.Close()
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatal("a refused write changed the vault file")
			}
			_, err = Create(filepath.Join(t.TempDir(), "new.db"), CreateOptions{Options: Options{StateDir: state},
				Owner: "alice", Passphrase: pass, ScryptWorkFactor: testWorkFactor})
			if name == "state folder below a regular file" && !errors.As(err, &se) {
				t.Fatalf("create: %v, want StateError", err)
			}
		})
	}
}
