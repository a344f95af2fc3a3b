package share

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
)

// fuzzBundles returns valid bundles for the fixed test key of Bob: the seeds
// of FuzzOpen. The committed corpus in testdata/fuzz holds copies made by
// TestWriteFuzzSeeds.
func fuzzBundles(t testing.TB) map[string][]byte {
	alice := fixedPerson(t, "alice", testAliceSecretKey)
	bob := fixedPerson(t, "bob", testBobSecretKey)
	p := testPayload(alice, secret.PermEdit, testRecord(alice, uid1, "payments"), testRecord(alice, uid2, "search"))
	exp := testNow().Add(time.Hour)
	expiring := p
	expiring.ExpiresAt = &exp
	raw := rawPayload(t, p, alice.signing, []person{bob}, nil)
	return map[string][]byte{
		"valid-binary":   mustBuild(t, p, alice.signing, false, bob),
		"valid-armored":  mustBuild(t, p, alice.signing, true, bob),
		"valid-expiring": mustBuild(t, expiring, alice.signing, false, bob),
		"unsigned":       sealRaw(t, raw, nil, "", bob),
		"not-addressed":  mustBuild(t, p, alice.signing, false, alice),
	}
}

func fuzzPlaintexts(t testing.TB) map[string][]byte {
	bob := fixedPerson(t, "bob", testBobSecretKey)
	out := map[string][]byte{}
	for name, b := range fuzzBundles(t) {
		if name != "not-addressed" {
			out[name] = decryptOrFatal(t, b, bob)
		}
	}
	return out
}

// TestWriteFuzzSeeds rewrites the committed seed corpus when
// MYSAFE_WRITE_FUZZ_SEEDS=1. Seeds must be rewritten if the payload format,
// the fixed test keys or the test records change.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("MYSAFE_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set MYSAFE_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}
	write := func(target string, seeds map[string][]byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("FuzzOpen", fuzzBundles(t))
	write("FuzzOpenPlaintext", fuzzPlaintexts(t))
}

// FuzzOpen feeds untrusted files to Open. Most mutations die in age's
// authentication; FuzzOpenPlaintext reaches the parsers behind it.
func FuzzOpen(f *testing.F) {
	for _, b := range fuzzBundles(f) {
		f.Add(b)
	}
	bob := fixedPerson(f, "bob", testBobSecretKey)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, allow := range []bool{false, true} {
			o, err := Open(data, []age.Identity{bob.identity}, testNow(), OpenOptions{AllowUnsigned: allow})
			checkOpened(t, o, err, bob)
		}
	})
}

// FuzzOpenPlaintext feeds untrusted decrypted content to the envelope,
// signature and payload parsers.
func FuzzOpenPlaintext(f *testing.F) {
	for _, b := range fuzzPlaintexts(f) {
		f.Add(b)
	}
	bob := fixedPerson(f, "bob", testBobSecretKey)
	self := map[string]bool{bob.key: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, allow := range []bool{false, true} {
			o, err := openPlaintext(data, self, testNow(), allow)
			checkOpened(t, o, err, bob)
		}
	})
}

// checkOpened checks what Open promises about a successful result.
func checkOpened(t *testing.T, o *Opened, err error, me person) {
	t.Helper()
	if err != nil {
		if o != nil {
			t.Fatal("result returned with an error")
		}
		return
	}
	p := o.Payload
	if o.Signed && (o.SignerKey != p.Sender.SigningKey || o.SignerFingerprint == "") {
		t.Fatalf("signed by %q but sender key is %q", o.SignerKey, p.Sender.SigningKey)
	}
	if !o.Signed && (o.SignerKey != "" || o.SignerFingerprint != "") {
		t.Fatal("unsigned bundle reports a signer")
	}
	if p.ExpiresAt != nil && !testNow().Before(*p.ExpiresAt) {
		t.Fatal("expired bundle accepted")
	}
	named := false
	for _, r := range p.Recipients {
		named = named || r.Recipient == me.key
	}
	if !named {
		t.Fatal("bundle accepted without naming the opener")
	}
	// What Open returns is valid, and stays so when validated again.
	again := p
	if err := again.validate(); err != nil {
		t.Fatalf("Open returned an invalid payload: %v", err)
	}
	for _, r := range p.Records {
		if err := r.Secret().Normalize(); err != nil {
			t.Fatalf("record fails the vault's rules: %v", err)
		}
	}
}

// TestFuzzSeedsOpen keeps the committed seeds meaningful: the valid ones
// must still open, or the fuzzer starts from nothing but failures.
func TestFuzzSeedsOpen(t *testing.T) {
	bob := fixedPerson(t, "bob", testBobSecretKey)
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzOpen", "valid-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		quoted, ok := strings.CutPrefix(string(b), "go test fuzz v1\n[]byte(")
		quoted, ok2 := strings.CutSuffix(quoted, ")\n")
		data, err := strconv.Unquote(quoted)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s: not a corpus file: %v", file, err)
		}
		if _, err := Open([]byte(data), []age.Identity{bob.identity}, testNow(), OpenOptions{}); err != nil {
			t.Errorf("%s: %v (MYSAFE_WRITE_FUZZ_SEEDS=1 rewrites the seeds)", file, err)
		}
	}
}
