package share

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

// OpenOptions adjusts what Open accepts.
type OpenOptions struct {
	// Self lists the opener's public keys, in any form ParseRecipient
	// accepts. Open requires the bundle's signed recipient list to name one
	// of them. The keys of X25519 and post-quantum age identities passed to
	// Open are added automatically; list here the public halves of other
	// identities, such as SSH keys, whose public key age does not expose.
	Self []string

	// AllowUnsigned accepts a bundle without a signature, such as one
	// written by hand and encrypted with the age tool. Its sender cannot be
	// trusted: Opened.Signed is false. A bundle whose signature is present
	// but wrong is refused regardless.
	AllowUnsigned bool
}

// Opened is a decrypted, checked bundle.
type Opened struct {
	Payload Payload

	// Signed reports whether the payload carried a valid signature. When it
	// is false (only possible with AllowUnsigned) nothing in the payload is
	// authenticated, the sender least of all.
	Signed bool
	// SignerKey is the key that made the signature, in authorized_keys form;
	// it equals Payload.Sender.SigningKey. Empty when unsigned.
	SignerKey string
	// SignerFingerprint is SignerKey's "SHA256:..." fingerprint, as
	// `ssh-keygen -l` prints it, for matching the signer to a contact. Empty
	// when unsigned.
	SignerFingerprint string
	// Armored reports whether the file was ASCII-armored.
	Armored bool
}

// ID returns the bundle id, for noticing a bundle imported twice.
func (o *Opened) ID() string { return o.Payload.ID }

// ClaimsSender reports whether the payload names recipient as the sender's
// sharing key or post-quantum sharing key. It is only a claim: a stranger
// can sign a payload naming anybody's public keys. IdentifySender is what
// decides who sent a bundle.
func (o *Opened) ClaimsSender(recipient string) bool {
	s := o.Payload.Sender
	return sameKey(recipient, s.Recipient) || sameKey(recipient, s.PQRecipient)
}

// Open decrypts a bundle with identities, checks it and returns its content.
// The bundle may be binary or ASCII-armored; armor is detected. now is the
// time expiry is checked against.
//
// Open checks, in this order, and returns an error wrapping:
//   - ErrMalformed if data is not an age file;
//   - ErrNotAddressed if no identity can decrypt it;
//   - ErrTampered if it is truncated, damaged or was modified;
//   - ErrMalformed if the content is not a bundle, or
//     ErrUnsupportedVersion if it is a bundle of another version;
//   - ErrUnsigned if there is no signature and opts.AllowUnsigned is false;
//   - ErrBadSignature if the signature does not verify, or was made with a
//     key other than the payload's sender.signing_key;
//   - ErrMalformed if a payload field is invalid;
//   - ErrForwarded if the signed recipient list names none of the opener's
//     keys (see OpenOptions.Self);
//   - ErrExpired if the payload's expires_at is not after now.
//
// Open does not know which bundles were imported already: callers compare
// Opened.ID with the ids they keep.
func Open(data []byte, identities []age.Identity, now time.Time, opts OpenOptions) (*Opened, error) {
	if len(identities) == 0 {
		return nil, errors.New("no identity to open the bundle with")
	}
	self, err := selfKeys(identities, opts.Self)
	if err != nil {
		return nil, err
	}
	if len(self) == 0 {
		return nil, errors.New("cannot tell whether the bundle names you: list your public keys in OpenOptions.Self")
	}
	plaintext, armored, err := decrypt(data, identities)
	if err != nil {
		return nil, err
	}
	o, err := openPlaintext(plaintext, self, now, opts.AllowUnsigned)
	if err != nil {
		return nil, err
	}
	o.Armored = armored
	return o, nil
}

// selfKeys returns the normalized public keys of the opener.
func selfKeys(identities []age.Identity, extra []string) (map[string]bool, error) {
	self := make(map[string]bool)
	for _, id := range identities {
		switch id := id.(type) {
		case *age.X25519Identity:
			self[id.Recipient().String()] = true
		case *age.HybridIdentity:
			self[id.Recipient().String()] = true
		}
	}
	for _, k := range extra {
		r, err := ParseRecipient(k)
		if err != nil {
			return nil, fmt.Errorf("your own key: %w", err)
		}
		self[r.Key()] = true
	}
	return self, nil
}

// ageIntro starts every binary age file.
const ageIntro = "age-encryption.org/"

// decrypt returns the plaintext of an age file, binary or armored.
func decrypt(data []byte, identities []age.Identity) (plaintext []byte, armored bool, err error) {
	if len(data) > MaxBundleSize {
		return nil, false, fmt.Errorf("%w: file larger than %d MiB", ErrMalformed, MaxBundleSize>>20)
	}
	var src io.Reader = bytes.NewReader(data)
	switch {
	case bytes.HasPrefix(bytes.TrimSpace(data), []byte(armor.Header)):
		armored = true
		src = armor.NewReader(src)
	case !bytes.HasPrefix(data, []byte(ageIntro)):
		return nil, false, fmt.Errorf("%w: not an age-encrypted file", ErrMalformed)
	}
	r, err := age.Decrypt(src, identities...)
	if err != nil {
		if _, ok := errors.AsType[*age.NoIdentityMatchError](err); ok {
			return nil, armored, fmt.Errorf("%w: none of your keys can decrypt it; the sender must share it with your key (`mysafe key`)", ErrNotAddressed)
		}
		return nil, armored, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	// Every byte is authenticated only once age reaches the end, so read it
	// all before looking at any of it.
	plaintext, err = io.ReadAll(io.LimitReader(r, MaxPlaintextSize+1))
	if err != nil {
		return nil, armored, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	if len(plaintext) > MaxPlaintextSize {
		return nil, armored, fmt.Errorf("%w: content larger than %d MiB", ErrMalformed, MaxPlaintextSize>>20)
	}
	return plaintext, armored, nil
}

// openPlaintext parses and checks a decrypted bundle. self holds the
// opener's normalized public keys.
func openPlaintext(plaintext []byte, self map[string]bool, now time.Time, allowUnsigned bool) (*Opened, error) {
	if err := checkStrict(plaintext, envelopeShape()); err != nil {
		return nil, fmt.Errorf("%w: content is not a bundle envelope: %v", ErrMalformed, err)
	}
	var env envelope
	if err := json.Unmarshal(plaintext, &env); err != nil {
		return nil, fmt.Errorf("%w: content is not a bundle envelope: %v", ErrMalformed, err)
	}
	if len(env.Payload) == 0 || env.Payload[0] != '{' {
		return nil, fmt.Errorf("%w: no payload object", ErrMalformed)
	}

	// Look at the format and version before anything else, so a bundle from
	// another version of mysafe gets a useful message rather than a
	// signature or parsing error. The strict check below still applies.
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(env.Payload, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if head.Format != FormatName {
		return nil, fmt.Errorf("%w: payload format is %q, not %q", ErrMalformed, head.Format, FormatName)
	}
	if head.Version != FormatVersion {
		hint := "; a newer mysafe made it: upgrade to import it"
		if head.Version < FormatVersion {
			hint = "; an older mysafe made it: ask the sender to upgrade mysafe and share it again"
		}
		return nil, fmt.Errorf("%w: version %d, this mysafe reads version %d%s", ErrUnsupportedVersion, head.Version, FormatVersion, hint)
	}

	o := &Opened{}
	var signer ssh.PublicKey
	switch {
	case env.Signature != nil && *env.Signature != "":
		pk, err := verifySSHSIG([]byte(*env.Signature), SignatureNamespace, env.Payload)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		signer = pk
	case !allowUnsigned:
		return nil, fmt.Errorf("%w: its sender cannot be checked", ErrUnsigned)
	}

	p, err := decodePayload(env.Payload)
	if err != nil {
		return nil, err
	}
	o.Payload = *p

	if signer != nil {
		o.Signed = true
		o.SignerKey = authorizedKey(signer)
		o.SignerFingerprint = ssh.FingerprintSHA256(signer)
		if o.SignerKey != o.Payload.Sender.SigningKey {
			return nil, fmt.Errorf("%w: signed with key %s, but the payload names the sender's key as %s",
				ErrBadSignature, o.SignerFingerprint, fingerprintOf(o.Payload.Sender.SigningKey))
		}
	}

	addressed := false
	for _, r := range o.Payload.Recipients {
		addressed = addressed || self[r.Recipient]
	}
	if !addressed {
		return nil, fmt.Errorf("%w: its recipient list does not name your key, so someone it was sent to re-encrypted it for you", ErrForwarded)
	}

	if exp := o.Payload.ExpiresAt; exp != nil && !now.Before(*exp) {
		return nil, fmt.Errorf("%w: it expired at %s; ask the sender for a new one", ErrExpired, exp.UTC().Format(time.RFC3339))
	}
	return o, nil
}

// decodePayload checks the payload's shape strictly, decodes it, verifies
// each record's owner signature over the record's exact bytes, and
// validates every field.
func decodePayload(raw []byte) (*Payload, error) {
	if err := checkStrict(raw, payloadShape()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var pj payloadJSON
	if err := json.Unmarshal(raw, &pj); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	p := pj.Payload
	p.Records = make([]Record, len(pj.Records))
	for i, e := range pj.Records {
		rec, err := decodeRecord(e.Record)
		if err != nil {
			return nil, fmt.Errorf("%w: records[%d]: %v", ErrMalformed, i, err)
		}
		if e.OwnerSignature != "" {
			// The owner signs the canonical encoding; accept no other, so
			// that one revision has exactly one signed form.
			if canon, err := rec.canonical(); err != nil || !bytes.Equal(canon, e.Record) {
				return nil, fmt.Errorf("%w: records[%d]: an owner-signed record must be in canonical form", ErrMalformed, i)
			}
			pk, err := verifySSHSIG([]byte(e.OwnerSignature), RecordSignatureNamespace, e.Record)
			if err != nil {
				return nil, fmt.Errorf("%w: records[%d]: owner signature: %v", ErrBadSignature, i, err)
			}
			rec.OwnerSigner = authorizedKey(pk)
		}
		p.Records[i] = rec
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &p, nil
}

func fingerprintOf(signingKey string) string {
	if signingKey == "" {
		return "(none)"
	}
	if _, fp, err := ParseSigningKey(signingKey); err == nil {
		return fp
	}
	return abbrev(signingKey)
}
