package share

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// A bundle is an age file. Its plaintext, the envelope, is one JSON object
// written exactly as
//
//	{"payload": <payload>,
//	"signature": <armored SSHSIG signature of the payload bytes, as a JSON string>}
//
// followed by a newline. The signature covers the payload's bytes exactly as
// they appear in the file, so no JSON canonicalization is needed for it: a
// reader keeps the raw bytes of the "payload" value, checks the signature
// over them and only then decodes them. Inside the payload each record is
// written on one line in its canonical encoding, next to its owner's
// signature of those bytes. docs/bundle-format.md shows how to check both
// by hand.
const envelopePrefix = `{"payload": `

// RecordSignatureNamespace is the SSHSIG namespace of owner signatures on
// records. It differs from SignatureNamespace so that a signed bundle can
// never pass for a signed record, nor the reverse.
const RecordSignatureNamespace = "mysafe-record"

// envelope is how Open reads the plaintext, after checkStrict.
type envelope struct {
	Payload   json.RawMessage `json:"payload"`
	Signature *string         `json:"signature,omitempty"`
}

func envelopeShape() *shape {
	return obj(map[string]member{
		"payload":   req(&shape{kind: kindAny}),
		"signature": opt(str(4096)),
	})
}

// Build signs p with signer and encrypts it to recipients, returning the
// bundle: a binary age file, or an ASCII-armored one ("-----BEGIN AGE
// ENCRYPTED FILE-----") when armored is true. Anyone holding a recipient's
// secret key can decrypt it with the stock age tool.
//
// Build fills in p.Format, p.Version, p.Sender.SigningKey (from signer) and
// p.Recipients (from recipients, with their Names), so the signed list of
// recipients is always the list the file is encrypted to. Repeated keys are
// encrypted to once. Every record whose owner_key is the sender's own
// sharing key (p.Sender.Recipient) is owner-signed with signer; other
// records (an editor's changes on their way to the owner) go without an
// owner signature. p.ID and p.CreatedAt must be set; NewPayload does both.
//
// Errors: ErrInvalidRecipient or ErrMixedRecipients (see CheckRecipients)
// for unusable recipients, and a plain error naming the field for an
// invalid payload, such as a record that fails secret.Record.Normalize.
func Build(p Payload, signer ed25519.PrivateKey, recipients []Recipient, armored bool) ([]byte, error) {
	if len(signer) != ed25519.PrivateKeySize {
		return nil, errors.New("signing key is not an Ed25519 private key")
	}
	if _, err := CheckRecipients(recipients); err != nil {
		return nil, err
	}
	recipients = dedupe(recipients)

	p.Format, p.Version = FormatName, FormatVersion
	p.Sender.SigningKey = FormatSigningKey(signer.Public().(ed25519.PublicKey))
	p.Recipients = make([]Party, len(recipients))
	for i, r := range recipients {
		p.Recipients[i] = Party{Name: r.Name, Recipient: r.Key()}
	}
	// Validation normalizes fields in place; work on copies of the caller's
	// slices.
	p.Records = append([]Record(nil), p.Records...)
	for i := range p.Records {
		p.Records[i].Tags = append([]string(nil), p.Records[i].Tags...)
		p.Records[i].Access = append([]Access(nil), p.Records[i].Access...)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("invalid bundle: %w", err)
	}

	raw, err := marshalPayload(&p, signer)
	if err != nil {
		return nil, err
	}
	sig, err := signSSHSIG(signer, SignatureNamespace, raw)
	if err != nil {
		return nil, err
	}
	ars := make([]age.Recipient, len(recipients))
	for i, r := range recipients {
		ars[i] = r.AgeRecipient()
	}
	return seal(makeEnvelope(raw, sig), ars, armored)
}

// marshalPayload writes the payload as indented JSON, readable when the
// bundle is opened by hand, with each record on one line in its canonical
// encoding, owner-signed when the sender owns it. HTML escaping is off so
// URLs stay legible.
func marshalPayload(p *Payload, signer ed25519.PrivateKey) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encoding payload: %w", err)
	}
	head := bytes.TrimSuffix(buf.Bytes(), []byte("\n}\n"))
	out := append([]byte(nil), head...)
	out = append(out, ",\n  \"records\": ["...)
	for i := range p.Records {
		rec := &p.Records[i]
		canon, err := rec.canonical()
		if err != nil {
			return nil, fmt.Errorf("encoding record: %w", err)
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, "\n    {"...)
		if sameKey(rec.OwnerKey, p.Sender.Recipient) {
			sig, err := signSSHSIG(signer, RecordSignatureNamespace, canon)
			if err != nil {
				return nil, err
			}
			s, _ := json.Marshal(string(sig)) // a string always encodes
			out = append(out, `"owner_signature": `...)
			out = append(out, s...)
			out = append(out, ", "...)
		}
		out = append(out, `"record": `...)
		out = append(out, canon...)
		out = append(out, '}')
	}
	out = append(out, "\n  ]\n}"...)
	return out, nil
}

// makeEnvelope lays out the plaintext; see envelopePrefix.
func makeEnvelope(payload, signature []byte) []byte {
	sig, _ := json.Marshal(string(signature)) // a string always encodes
	out := make([]byte, 0, len(envelopePrefix)+len(payload)+len(sig)+20)
	out = append(out, envelopePrefix...)
	out = append(out, payload...)
	out = append(out, ",\n\"signature\": "...)
	out = append(out, sig...)
	out = append(out, "}\n"...)
	return out
}

// seal encrypts plaintext to recipients as an age file.
func seal(plaintext []byte, recipients []age.Recipient, armored bool) ([]byte, error) {
	var buf bytes.Buffer
	var dst io.Writer = &buf
	var aw io.WriteCloser
	if armored {
		aw = armor.NewWriter(&buf)
		dst = aw
	}
	w, err := age.Encrypt(dst, recipients...)
	if err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	if aw != nil {
		if err := aw.Close(); err != nil {
			return nil, fmt.Errorf("armoring: %w", err)
		}
	}
	return buf.Bytes(), nil
}
