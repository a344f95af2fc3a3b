package vault

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// envUpgradeChild makes the test binary upgrade the vault it names and
// exit, so the parent can kill it at any moment.
const envUpgradeChild = "MYSAFE_TEST_UPGRADE_CHILD"

// envLayoutChild makes the test binary add a record to the vault it names
// (a copy of testdata/format2-root3, whose first write moves the index's
// middle pages) and exit, so the parent can kill it at any moment.
const envLayoutChild = "MYSAFE_TEST_LAYOUT_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(envLayoutChild); path != "" {
		ident, _ := os.ReadFile(filepath.Join("testdata", "format2-root3", "identity.txt"))
		v, err := Open(path, Options{StateDir: path + ".state"})
		if err == nil {
			err = v.UnlockWithIdentity(strings.TrimSpace(string(ident)))
		}
		if err == nil {
			err = v.Update(func(tx *Tx) error { return tx.Put(rec("delta", "delta-id")) })
		}
		if err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	if path := os.Getenv(envUpgradeChild); path != "" {
		ident, _ := os.ReadFile("testdata/format1/identity.txt")
		v, err := Open(path, Options{ReadOnly: true, StateDir: path + ".state"})
		if err == nil {
			err = v.UnlockWithIdentity(string(ident))
		}
		if err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killedChild copies the vault fixture to a new folder, starts the test
// binary as the child named by env on the copy, kills it after the given
// time, and returns the copy's path.
func killedChild(t *testing.T, fixture, env string, after time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vault.db")
	copyFile(t, fixture, path)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(after)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	return path
}

// TestUpgradeKilledLeavesOldOrNew kills the upgrading process at different
// moments: the file is always the format-1 vault or the complete format-2
// one, never a mix.
func TestUpgradeKilledLeavesOldOrNew(t *testing.T) {
	ident, _ := os.ReadFile("testdata/format1/identity.txt")
	seen := map[string]int{}
	for i := range 12 {
		path := killedChild(t, "testdata/format1/vault.db", envUpgradeChild, time.Duration(i)*25*time.Millisecond)

		format := ""
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		db.View(func(btx *bolt.Tx) error { format = string(btx.Bucket(bucketMeta).Get(keyFormat)); return nil })
		db.Close()
		seen[format]++
		// Whatever state it was left in, the next open completes the
		// upgrade and shows both records.
		got, err := openAll(path, path+".state", string(ident))
		if err != nil {
			t.Fatalf("kill %d (left %s): %v", i, format, err)
		}
		if err == nil && (got["payments"] != "sk_live_fixture_payments_1" || got["github"] != "sk_fixture_github_2" || len(got) != 2) {
			t.Fatalf("kill %d (left %s): %v", i, format, got)
		}
		if format != formatV1 && format != formatV2 {
			t.Fatalf("kill %d: format %q", i, format)
		}
	}
	t.Logf("left behind: %v", seen)
}

// TestLayoutUpgradeKilledLeavesOldOrNew kills, at different moments, the
// process whose first write to a vault of root version 3 moves the index's
// middle pages: the file is always the old layout without the new record
// or the new layout with it, and checks out either way.
func TestLayoutUpgradeKilledLeavesOldOrNew(t *testing.T) {
	ident := strings.TrimSpace(string(readFile(t, filepath.Join("testdata", "format2-root3", "identity.txt"))))
	seen := map[byte]int{}
	for i := range 10 {
		path := killedChild(t, filepath.Join("testdata", "format2-root3", "vault.db"), envLayoutChild, time.Duration(i)*10*time.Millisecond)

		version, oldMids, newMids, _ := indexLayout(t, path, path+".state", ident)
		seen[version]++
		got, err := openAll(path, path+".state", ident)
		if err != nil {
			t.Fatalf("kill %d (root version %d): %v", i, version, err)
		}
		switch {
		case version == rootVersion3 && newMids == 0 && len(got) == 2:
		case version == rootVersion && oldMids == 0 && len(got) == 3 && got["delta"] == "s3cret-delta":
		default:
			t.Fatalf("kill %d: root version %d, %d middle pages at old keys, %d at new ones, records %v", i, version, oldMids, newMids, got)
		}
		if got["payments"] != "sk_live_fixture_payments_1" || got["github"] != "sk_fixture_github_2b" {
			t.Fatalf("kill %d: %v", i, got)
		}
		v := mustOpen(t, path, Options{StateDir: path + ".state", ReadOnly: true})
		if err := v.UnlockWithIdentity(ident); err != nil {
			t.Fatal(err)
		}
		rep, err := v.Check(false)
		v.Close()
		if err != nil || !rep.OK() {
			t.Fatalf("kill %d: check: %+v %v", i, rep, err)
		}
	}
	t.Logf("left behind (root versions): %v", seen)
}
