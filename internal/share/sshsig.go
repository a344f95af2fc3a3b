package share

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// The payload signature is an OpenSSH "SSHSIG" signature (PROTOCOL.sshsig in
// the OpenSSH sources), so anyone can check it with `ssh-keygen -Y verify`
// without mysafe. Only the framing is written here; keys and signatures use
// the SSH wire types of golang.org/x/crypto/ssh.

// SignatureNamespace is the SSHSIG namespace of bundle signatures. It keeps
// a bundle signature from being valid for anything else signed with the same
// key, such as a git commit or a file signed with ssh-keygen.
const SignatureNamespace = "mysafe-share"

const (
	sshsigMagic   = "SSHSIG"
	sshsigVersion = 1
	sshsigBegin   = "-----BEGIN SSH SIGNATURE-----"
	sshsigEnd     = "-----END SSH SIGNATURE-----"
	sshsigColumns = 70 // what ssh-keygen writes
)

// sshsigBlob is the SSHSIG signature blob after the magic preamble.
type sshsigBlob struct {
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  string
	HashAlg   string
	Signature []byte
}

// sshsigSignedData is the SSHSIG message that the key actually signs.
func sshsigSignedData(namespace, hashAlg string, hash []byte) []byte {
	return append([]byte(sshsigMagic), ssh.Marshal(struct {
		Namespace string
		Reserved  string
		HashAlg   string
		Hash      []byte
	}{namespace, "", hashAlg, hash})...)
}

func sshsigHash(alg string, msg []byte) ([]byte, bool) {
	switch alg {
	case "sha512":
		h := sha512.Sum512(msg)
		return h[:], true
	case "sha256":
		h := sha256.Sum256(msg)
		return h[:], true
	}
	return nil, false
}

// signSSHSIG signs msg with key and returns the armored signature, as
// `ssh-keygen -Y sign -n namespace` would write it.
func signSSHSIG(key ed25519.PrivateKey, namespace string, msg []byte) ([]byte, error) {
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	hash, _ := sshsigHash("sha512", msg)
	sig, err := signer.Sign(rand.Reader, sshsigSignedData(namespace, "sha512", hash))
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	blob := append([]byte(sshsigMagic), ssh.Marshal(sshsigBlob{
		Version:   sshsigVersion,
		PublicKey: signer.PublicKey().Marshal(),
		Namespace: namespace,
		HashAlg:   "sha512",
		Signature: ssh.Marshal(sig),
	})...)
	return armorSSHSIG(blob), nil
}

func armorSSHSIG(blob []byte) []byte {
	b64 := base64.StdEncoding.EncodeToString(blob)
	var sb strings.Builder
	sb.WriteString(sshsigBegin + "\n")
	for len(b64) > sshsigColumns {
		sb.WriteString(b64[:sshsigColumns] + "\n")
		b64 = b64[sshsigColumns:]
	}
	sb.WriteString(b64 + "\n" + sshsigEnd + "\n")
	return []byte(sb.String())
}

func dearmorSSHSIG(armored []byte) ([]byte, error) {
	s := strings.TrimSpace(string(armored))
	if !strings.HasPrefix(s, sshsigBegin) || !strings.HasSuffix(s, sshsigEnd) || len(s) < len(sshsigBegin)+len(sshsigEnd) {
		return nil, errors.New("not an armored SSH signature")
	}
	body := s[len(sshsigBegin) : len(s)-len(sshsigEnd)]
	// The standard decoder skips '\r' and '\n' and nothing else.
	blob, err := base64.StdEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, errors.New("malformed armored SSH signature")
	}
	return blob, nil
}

// verifySSHSIG checks an armored SSHSIG signature of msg in namespace and
// returns the key that made it. Only ssh-ed25519 keys are accepted: that is
// what mysafe signs with, and accepting less is less to get wrong.
func verifySSHSIG(armored []byte, namespace string, msg []byte) (ssh.PublicKey, error) {
	raw, err := dearmorSSHSIG(armored)
	if err != nil {
		return nil, err
	}
	rest, ok := strings.CutPrefix(string(raw), sshsigMagic)
	if !ok {
		return nil, errors.New("not an SSHSIG signature")
	}
	var blob sshsigBlob
	if err := ssh.Unmarshal([]byte(rest), &blob); err != nil {
		return nil, errors.New("malformed SSHSIG signature")
	}
	if blob.Version != sshsigVersion {
		return nil, fmt.Errorf("unsupported SSHSIG version %d", blob.Version)
	}
	if blob.Namespace != namespace {
		return nil, fmt.Errorf("signature is for %q, not %q", blob.Namespace, namespace)
	}
	hash, ok := sshsigHash(blob.HashAlg, msg)
	if !ok {
		return nil, fmt.Errorf("unsupported SSHSIG hash algorithm %q", blob.HashAlg)
	}
	pk, err := ssh.ParsePublicKey(blob.PublicKey)
	if err != nil {
		return nil, errors.New("malformed public key in signature")
	}
	if pk.Type() != ssh.KeyAlgoED25519 {
		return nil, fmt.Errorf("signature made with a %s key; mysafe bundles are signed with ssh-ed25519 keys", pk.Type())
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(blob.Signature, &sig); err != nil || len(sig.Rest) != 0 {
		return nil, errors.New("malformed signature value")
	}
	if err := pk.Verify(sshsigSignedData(namespace, blob.HashAlg, hash), &sig); err != nil {
		return nil, errors.New("signature does not match the signed content")
	}
	return pk, nil
}

// FormatSigningKey returns pub in the OpenSSH authorized_keys form
// ("ssh-ed25519 AAAA..."), the form bundles, contacts and an
// allowed_signers file for `ssh-keygen -Y verify` use.
func FormatSigningKey(pub ed25519.PublicKey) string {
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "" // only for a public key of the wrong length
	}
	return authorizedKey(pk)
}

// ParseSigningKey parses a signing key in the authorized_keys form
// FormatSigningKey returns (a comment after the key is allowed) and returns
// its normalized form and its fingerprint, "SHA256:..." as `ssh-keygen -l`
// prints it. Only ssh-ed25519 keys are accepted.
func ParseSigningKey(s string) (key, fingerprint string, err error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\r\n") {
		return "", "", errors.New("signing key: more than one line")
	}
	pk, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil || len(rest) != 0 {
		return "", "", errors.New("signing key: not an SSH public key (ssh-ed25519 AAAA...)")
	}
	if pk.Type() != ssh.KeyAlgoED25519 {
		return "", "", fmt.Errorf("signing key: a %s key; mysafe signs with ssh-ed25519 keys", pk.Type())
	}
	return authorizedKey(pk), ssh.FingerprintSHA256(pk), nil
}

// authorizedKey returns pk in authorized_keys form, without comment.
func authorizedKey(pk ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
}
