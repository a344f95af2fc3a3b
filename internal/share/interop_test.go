package share

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"

	"github.com/mysafe/mysafe/internal/secret"
)

// These tests check that bundles are what docs/bundle-format.md promises:
// age files anyone can open with the stock age tool, holding JSON, with a
// signature ssh-keygen can check. They need the age and OpenSSH tools
// (Debian: apt-get install age openssh-client). Without them the tests are
// skipped, except in CI (CI=true), where skipping would hide a regression.

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	const hint = "install age and openssh-client (Debian: apt-get install age openssh-client)"
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not on PATH and CI=true: the interop tests must run in CI; %s", name, hint)
	}
	t.Skipf("%s is not on PATH; %s to run this test", name, hint)
}

// run runs a command and returns its standard output.
func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkPlaintext checks what age -d printed: the documented JSON.
func checkPlaintext(t *testing.T, plain []byte, want Payload) {
	t.Helper()
	var env struct {
		Payload struct {
			Format  string `json:"format"`
			Version int    `json:"version"`
			ID      string `json:"id"`
			Records []struct {
				OwnerSignature string `json:"owner_signature"`
				Record         struct {
					Name         string `json:"name"`
					ClientSecret string `json:"client_secret"`
				} `json:"record"`
			} `json:"records"`
		} `json:"payload"`
		Signature string `json:"signature"`
	}
	if err := json.Unmarshal(plain, &env); err != nil {
		t.Fatalf("age -d output is not JSON: %v\n%s", err, plain)
	}
	p := env.Payload
	if p.Format != FormatName || p.Version != FormatVersion || p.ID != want.ID || len(p.Records) != len(want.Records) ||
		p.Records[0].Record.ClientSecret != want.Records[0].ClientSecret.Reveal() || !strings.HasPrefix(env.Signature, sshsigBegin) {
		t.Errorf("age -d output:\n%s", plain)
	}
}

func TestInteropAgeX25519(t *testing.T) {
	needTool(t, "age")
	needTool(t, "age-keygen")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	run(t, nil, "age-keygen", "-o", keyFile)
	pub := strings.TrimSpace(string(run(t, nil, "age-keygen", "-y", keyFile)))

	alice := newX25519Person(t, "alice")
	p := testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments"))
	to, err := ParseRecipient(pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, armored := range []bool{false, true} {
		data, err := Build(p, alice.signing, []Recipient{to}, armored)
		if err != nil {
			t.Fatal(err)
		}
		bundle := writeFile(t, filepath.Join(dir, "bundle.age"), data)
		checkPlaintext(t, run(t, nil, "age", "-d", "-i", keyFile, bundle), p)

		// And mysafe opens it with the key age-keygen made.
		f, err := os.Open(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := age.ParseIdentities(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(data, ids, testNow(), OpenOptions{}); err != nil {
			t.Errorf("armored=%v: %v", armored, err)
		}
	}

	// A bundle encrypted by the age tool opens too, unsigned.
	raw := rawPayload(t, p, alice.signing, []person{{name: "me", key: pub}}, func(p *Payload) { p.Sender.SigningKey = "" })
	env := append(append([]byte(envelopePrefix), raw...), "}\n"...)
	data := run(t, env, "age", "-r", pub, "-a")
	f, _ := os.Open(keyFile)
	ids, _ := age.ParseIdentities(f)
	f.Close()
	o, err := Open(data, ids, testNow(), OpenOptions{AllowUnsigned: true})
	if err != nil || o.Signed {
		t.Errorf("bundle made with age -r: %v (signed %v)", err, o != nil && o.Signed)
	}
}

func TestInteropAgeSSH(t *testing.T) {
	needTool(t, "age")
	needTool(t, "ssh-keygen")
	alice := newX25519Person(t, "alice")
	p := testPayload(alice, secret.PermEdit, testRecord(alice, uid1, "payments"))
	for _, kt := range []string{"ed25519", "rsa"} {
		t.Run(kt, func(t *testing.T) {
			dir := t.TempDir()
			keyFile := filepath.Join(dir, "id_"+kt)
			run(t, nil, "ssh-keygen", "-q", "-t", kt, "-N", "", "-C", "bob@laptop", "-f", keyFile)
			pub, err := os.ReadFile(keyFile + ".pub")
			if err != nil {
				t.Fatal(err)
			}
			to, err := ParseRecipient(string(pub))
			if err != nil {
				t.Fatal(err)
			}
			data, err := Build(p, alice.signing, []Recipient{to}, true)
			if err != nil {
				t.Fatal(err)
			}
			bundle := writeFile(t, filepath.Join(dir, "bundle.age"), data)
			checkPlaintext(t, run(t, nil, "age", "-d", "-i", keyFile, bundle), p)

			pem, err := os.ReadFile(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			id, err := agessh.ParseIdentity(pem)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Open(data, []age.Identity{id}, testNow(), OpenOptions{Self: []string{string(pub)}}); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestInteropPostQuantum runs only with an age tool that knows age1pq1
// keys, which arrived in age 1.3.0 (Debian 12 ships 1.1.1).
func TestInteropPostQuantum(t *testing.T) {
	needTool(t, "age")
	needTool(t, "age-keygen")
	version := strings.TrimPrefix(strings.TrimSpace(string(run(t, nil, "age", "--version"))), "v")
	if major, minor, ok := parseMajorMinor(version); !ok || major < 1 || major == 1 && minor < 3 {
		const hint = "install age 1.3 or newer: go install filippo.io/age/cmd/...@v1.3.2, with GOPATH/bin first on PATH"
		if os.Getenv("CI") == "true" {
			t.Fatalf("age %q predates post-quantum keys (age1pq1, added in age 1.3.0) and CI=true: the post-quantum interop test must run in CI; %s", version, hint)
		}
		t.Skipf("age %s predates post-quantum keys (age1pq1, added in age 1.3.0); %s", version, hint)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	run(t, nil, "age-keygen", "-pq", "-o", keyFile)
	pub := strings.TrimSpace(string(run(t, nil, "age-keygen", "-y", keyFile)))
	to, err := ParseRecipient(pub)
	if err != nil {
		t.Fatal(err)
	}
	alice := newX25519Person(t, "alice")
	p := testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments"))
	data, err := Build(p, alice.signing, []Recipient{to}, false)
	if err != nil {
		t.Fatal(err)
	}
	checkPlaintext(t, run(t, nil, "age", "-d", "-i", keyFile, writeFile(t, filepath.Join(dir, "b.age"), data)), p)
}

func parseMajorMinor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// TestInteropVerifyByHand follows docs/bundle-format.md: cut the payload
// and signature out of the decrypted bundle and check them with ssh-keygen.
func TestInteropVerifyByHand(t *testing.T) {
	needTool(t, "ssh-keygen")
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	unicode := testRecord(alice, uid2, "search")
	unicode.Name = "sëarch ✓ <prod>"
	p := testPayload(alice, secret.PermView, testRecord(alice, uid1, "payments"), unicode)
	dir := t.TempDir()
	plain := writeFile(t, filepath.Join(dir, "plain.json"), decryptOrFatal(t, mustBuild(t, p, alice.signing, false, bob), bob))
	signingKey := FormatSigningKey(alice.signing.Public().(ed25519.PublicKey))
	allowed := writeFile(t, filepath.Join(dir, "allowed_signers"), []byte("alice "+signingKey+"\n"))

	verify := func(t *testing.T, payloadFile, sigFile string) {
		t.Helper()
		payload, err := os.ReadFile(payloadFile)
		if err != nil {
			t.Fatal(err)
		}
		out := run(t, payload, "ssh-keygen", "-Y", "verify", "-f", allowed, "-I", "alice", "-n", SignatureNamespace, "-s", sigFile)
		if !strings.Contains(string(out), `Good "mysafe-share" signature for alice`) {
			t.Errorf("ssh-keygen -Y verify printed %q", out)
		}
		// A changed payload must fail.
		tampered := bytes.Replace(payload, []byte("payments"), []byte("paymentz"), 1)
		cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", "alice", "-n", SignatureNamespace, "-s", sigFile)
		cmd.Stdin = bytes.NewReader(tampered)
		if cmd.Run() == nil {
			t.Error("ssh-keygen verified a tampered payload")
		}
	}

	t.Run("python", func(t *testing.T) {
		if _, err := exec.LookPath("python3"); err != nil {
			t.Skip("python3 is not on PATH")
		}
		script := `import json, sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
start = text.index('"payload":') + len('"payload":')
while text[start] in " \t\r\n":
    start += 1
_, end = json.JSONDecoder().raw_decode(text, start)
open("payload.json", "w", encoding="utf-8", newline="").write(text[start:end])
open("bundle.sig", "w", newline="").write(json.loads(text)["signature"])
`
		cmd := exec.Command("python3", "-c", script, plain)
		cmd.Dir = t.TempDir()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("python3: %v\n%s", err, out)
		}
		verify(t, filepath.Join(cmd.Dir, "payload.json"), filepath.Join(cmd.Dir, "bundle.sig"))
	})

	t.Run("shell", func(t *testing.T) {
		script := `sed '/^"signature": /,$d' plain.json | tail -c +13 | head -c -2 > payload.json
printf '%b' "$(sed -n 's/^"signature": "\(.*\)"}$/\1/p' plain.json)" > bundle.sig
`
		wd := t.TempDir()
		writeFile(t, filepath.Join(wd, "plain.json"), mustRead(t, plain))
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = wd
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sh: %v\n%s", err, out)
		}
		verify(t, filepath.Join(wd, "payload.json"), filepath.Join(wd, "bundle.sig"))
	})
}

// TestInteropVerifyRecordByHand follows docs/bundle-format.md: cut one
// record and its owner signature out of the decrypted bundle and check them
// with ssh-keygen, as someone holding the owner's signing key would.
func TestInteropVerifyRecordByHand(t *testing.T) {
	needTool(t, "ssh-keygen")
	alice, bob := newX25519Person(t, "alice"), newX25519Person(t, "bob")
	rec := withAccess(testRecord(alice, uid1, "payments"), secret.PermView, bob)
	rec.Notes = `tricky ", "record": {} \ notes ✓`
	p := testPayload(alice, secret.PermView, rec)
	wd := t.TempDir()
	writeFile(t, filepath.Join(wd, "plain.json"), decryptOrFatal(t, mustBuild(t, p, alice.signing, false, bob), bob))
	writeFile(t, filepath.Join(wd, "allowed_signers"), []byte("alice "+FormatSigningKey(alice.signing.Public().(ed25519.PublicKey))+"\n"))
	script := `sed -n 's/^    {"owner_signature": ".*", "record": \(.*\)},\{0,1\}$/\1/p' plain.json | head -n 1 | head -c -1 > record.json
printf '%b' "$(sed -n 's/^    {"owner_signature": "\(.*\)", "record": .*$/\1/p' plain.json | head -n 1)" > record.sig
ssh-keygen -Y verify -f allowed_signers -I alice -n mysafe-record -s record.sig < record.json
`
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = wd
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `Good "mysafe-record" signature for alice`) {
		t.Fatalf("sh: %v\n%s", err, out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInteropSSHKeygenSigns checks the verifier against signatures made by
// OpenSSH itself.
func TestInteropSSHKeygenSigns(t *testing.T) {
	needTool(t, "ssh-keygen")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "id_ed25519")
	run(t, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", keyFile)
	msg := writeFile(t, filepath.Join(dir, "payload.json"), []byte(`{"format": "mysafe-share"}`))
	run(t, nil, "ssh-keygen", "-Y", "sign", "-f", keyFile, "-n", SignatureNamespace, msg)
	sig := mustRead(t, msg+".sig")

	pk, err := verifySSHSIG(sig, SignatureNamespace, mustRead(t, msg))
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := ParseSigningKey(string(mustRead(t, keyFile+".pub")))
	if err != nil {
		t.Fatal(err)
	}
	if authorizedKey(pk) != pub {
		t.Errorf("verified key %s, want %s", authorizedKey(pk), pub)
	}
	if _, err := verifySSHSIG(sig, "file", mustRead(t, msg)); err == nil {
		t.Error("signature verified in another namespace")
	}
}
