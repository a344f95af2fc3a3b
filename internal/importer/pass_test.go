package importer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// needTool skips a test without the tool, but fails it in CI, where the
// tool must be installed.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; CI must install it", name)
		}
		t.Skipf("%s is not installed", name)
	}
}

// throwawayGPG makes a GNUPGHOME with one key without a passphrase and
// returns the key's fingerprint. The agent it starts is stopped at the end.
func throwawayGPG(t *testing.T) string {
	t.Helper()
	needTool(t, "gpg")
	// The agent's socket path must stay short: not under t.TempDir().
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	t.Setenv("GNUPGHOME", home)
	t.Cleanup(func() {
		exec.Command("gpgconf", "--kill", "all").Run()
		os.RemoveAll(home)
	})
	out, err := exec.Command("gpg", "--batch", "--passphrase", "", "--quick-gen-key", "mysafe test <test@example.invalid>", "default", "default", "never").CombinedOutput()
	if err != nil {
		t.Fatalf("gpg --quick-gen-key: %v\n%s", err, out)
	}
	out, err = exec.Command("gpg", "--batch", "--with-colons", "--list-keys", "test@example.invalid").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return f[9]
		}
	}
	t.Fatal("no fingerprint")
	return ""
}

func gpgEncrypt(t *testing.T, fpr, path, content string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o700)
	cmd := exec.Command("gpg", "--batch", "--yes", "--trust-model", "always", "--encrypt", "--recipient", fpr, "--output", path)
	cmd.Stdin = strings.NewReader(content)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gpg --encrypt: %v\n%s", err, out)
	}
}

// TestPassStore reads a pass store encrypted with a real gpg key and
// decrypted through gpg, as a user's store would be.
func TestPassStore(t *testing.T) {
	fpr := throwawayGPG(t)
	store := filepath.Join(t.TempDir(), "store")
	os.MkdirAll(store, 0o700)
	os.WriteFile(filepath.Join(store, ".gpg-id"), []byte(fpr+"\n"), 0o600)
	gpgEncrypt(t, fpr, filepath.Join(store, "work", "payments.gpg"), "ps-secret-1\nurl: api.pay.example\nusername: app-42\nrotate every 90 days\n")
	gpgEncrypt(t, fpr, filepath.Join(store, "mail.gpg"), "ps-secret-2\n---\nclient_id: mailer\nteam: ops\n")
	gpgEncrypt(t, fpr, filepath.Join(store, ".git", "ignored.gpg"), "not a secret\n")
	src := Source{Name: store, Dir: store}
	if f, ok := Detect(src); !ok || f != Pass {
		t.Fatalf("Detect(store) = %q, %v", f, ok)
	}
	var seen []int
	entries, err := Read(Pass, src, Options{Decrypt: GPGDecrypt, URL: "mail.example", Progress: func(done, total int) { seen = append(seen, done) }})
	if err != nil {
		t.Fatal(err)
	}
	check(t, entries, []want{
		{name: "mail", url: "https://mail.example", clientID: "mailer", secret: "ps-secret-2", notes: []string{"team: ops"}},
		{name: "work/payments", url: "https://api.pay.example", clientID: "app-42", secret: "ps-secret-1", notes: []string{"rotate every 90 days"}},
	})
	if len(seen) != 2 {
		t.Errorf("progress reported %v, want 1 and 2", seen)
	}

	// A file the key cannot open is an error for the whole store, naming it.
	os.WriteFile(filepath.Join(store, "broken.gpg"), []byte("not gpg at all"), 0o600)
	if _, err := Read(Pass, src, Options{Decrypt: GPGDecrypt}); err == nil || !strings.Contains(err.Error(), "broken.gpg") {
		t.Fatalf("Read of a store with a broken file = %v, want an error naming it", err)
	}
}

// TestGopassAgeStore reads the .age files of a gopass store with an age
// identity.
func TestGopassAgeStore(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	os.WriteFile(filepath.Join(store, ".age-recipients"), []byte(id.Recipient().String()+"\n"), 0o600)
	f, err := os.Create(filepath.Join(store, "payments.age"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := age.Encrypt(f, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("ga-secret-1\nurl: https://api.pay.example\nlogin: app-42\n"))
	w.Close()
	f.Close()
	src := Source{Name: store, Dir: store}
	if _, err := Read(Pass, src, Options{}); err == nil || !strings.Contains(err.Error(), "age identity") {
		t.Fatalf("Read without an identity = %v, want a hint about the identity", err)
	}
	entries, err := Read(Pass, src, Options{AgeIdentities: []age.Identity{id}})
	if err != nil {
		t.Fatal(err)
	}
	check(t, entries, []want{{name: "payments", url: "https://api.pay.example", clientID: "app-42", secret: "ga-secret-1"}})
}
