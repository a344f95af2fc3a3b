package share

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestSSHSIGRoundTrip(t *testing.T) {
	key := newSigningKey(t)
	msg := []byte("the exact payload bytes\n")
	sig, err := signSSHSIG(key, SignatureNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(sig), "\n"), "\n")
	if lines[0] != sshsigBegin || lines[len(lines)-1] != sshsigEnd {
		t.Fatalf("armor:\n%s", sig)
	}
	for _, l := range lines[1 : len(lines)-1] {
		if len(l) > 70 {
			t.Errorf("line of %d columns", len(l))
		}
	}
	pk, err := verifySSHSIG(sig, SignatureNamespace, msg)
	if err != nil {
		t.Fatal(err)
	}
	if authorizedKey(pk) != FormatSigningKey(key.Public().(ed25519.PublicKey)) {
		t.Errorf("verified key %s", authorizedKey(pk))
	}
	// CRLF line endings, as a mail client might leave them, still verify.
	if _, err := verifySSHSIG(bytes.ReplaceAll(sig, []byte("\n"), []byte("\r\n")), SignatureNamespace, msg); err != nil {
		t.Errorf("CRLF armor: %v", err)
	}

	for name, tc := range map[string]struct {
		sig       []byte
		namespace string
		msg       []byte
	}{
		"other message":   {sig, SignatureNamespace, []byte("the exact payload bytes")},
		"other namespace": {sig, "file", msg},
		"no armor":        {bytes.TrimPrefix(sig, []byte(sshsigBegin)), SignatureNamespace, msg},
		"empty":           {nil, SignatureNamespace, msg},
		"bad base64":      {[]byte(sshsigBegin + "\n!!!!\n" + sshsigEnd), SignatureNamespace, msg},
		"not SSHSIG":      {armorSSHSIG([]byte("NOTSIG")), SignatureNamespace, msg},
	} {
		if _, err := verifySSHSIG(tc.sig, tc.namespace, tc.msg); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestSSHSIGSHA256(t *testing.T) {
	// ssh-keygen can be told to hash with SHA-256; such signatures verify.
	key := newSigningKey(t)
	msg := []byte("payload")
	sig := rawSSHSIG(t, key, SignatureNamespace, "sha256", msg)
	if _, err := verifySSHSIG(sig, SignatureNamespace, msg); err != nil {
		t.Fatal(err)
	}
	if _, err := verifySSHSIG(rawSSHSIG(t, key, SignatureNamespace, "md5", msg), SignatureNamespace, msg); err == nil {
		t.Error("md5 signature verified")
	}
}

func TestSSHSIGOnlyEd25519(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sig := rawSSHSIG(t, ec, SignatureNamespace, "sha512", []byte("m"))
	_, err = verifySSHSIG(sig, SignatureNamespace, []byte("m"))
	if err == nil || !strings.Contains(err.Error(), "ecdsa") {
		t.Errorf("ECDSA signature: err = %v", err)
	}
}

// rawSSHSIG builds an SSHSIG signature with any key and hash name.
func rawSSHSIG(t *testing.T, key any, namespace, hashAlg string, msg []byte) []byte {
	t.Helper()
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := sshsigHash(hashAlg, msg)
	if !ok {
		h = []byte("not a hash")
	}
	sig, err := signer.Sign(rand.Reader, sshsigSignedData(namespace, hashAlg, h))
	if err != nil {
		t.Fatal(err)
	}
	return armorSSHSIG(append([]byte(sshsigMagic), ssh.Marshal(sshsigBlob{
		Version: sshsigVersion, PublicKey: signer.PublicKey().Marshal(), Namespace: namespace,
		HashAlg: hashAlg, Signature: ssh.Marshal(sig),
	})...))
}

func TestSigningKeyStrings(t *testing.T) {
	pub := newSigningKey(t).Public().(ed25519.PublicKey)
	s := FormatSigningKey(pub)
	if !strings.HasPrefix(s, "ssh-ed25519 AAAA") {
		t.Fatalf("FormatSigningKey = %q", s)
	}
	key, fp, err := ParseSigningKey("  " + s + " alice@laptop\n")
	if err != nil || key != s || !strings.HasPrefix(fp, "SHA256:") || len(fp) != 50 {
		t.Errorf("ParseSigningKey = %q, %q, %v", key, fp, err)
	}
	for _, bad := range []string{"", "age1xyz", newSSHRSAPerson(t, "r").key, s + "\n" + s} {
		if _, _, err := ParseSigningKey(bad); err == nil {
			t.Errorf("ParseSigningKey(%.30q) succeeded", bad)
		}
	}
	if FormatSigningKey(pub[:5]) != "" {
		t.Error("FormatSigningKey accepted a short key")
	}
}
