package share

import (
	"fmt"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// Kind is the type of a recipient key.
type Kind string

// The recipient kinds a bundle can be encrypted to.
const (
	// KindX25519 is a classic age public key, age1... It is what
	// `mysafe key` prints as the sharing key.
	KindX25519 Kind = "x25519"
	// KindHybrid is an age post-quantum hybrid (ML-KEM-768 + X25519) public
	// key, age1pq1...
	KindHybrid Kind = "mlkem768x25519"
	// KindSSHEd25519 is an OpenSSH ssh-ed25519 public key.
	KindSSHEd25519 Kind = "ssh-ed25519"
	// KindSSHRSA is an OpenSSH ssh-rsa public key of at least 2048 bits.
	KindSSHRSA Kind = "ssh-rsa"
)

// PostQuantum reports whether keys of this kind resist quantum computers.
func (k Kind) PostQuantum() bool { return k == KindHybrid }

// Recipient is a public key a bundle can be encrypted to. Make one with
// ParseRecipient; the zero value is not usable.
type Recipient struct {
	// Name is who the key belongs to, as the sender's contacts call them. It
	// is written into the bundle's recipient list and may be empty.
	Name string

	key  string
	kind Kind
	fp   string
	r    age.Recipient
}

// ParseRecipient parses a public key given as an age key (age1...), an age
// post-quantum hybrid key (age1pq1...), or an OpenSSH ssh-ed25519 or ssh-rsa
// public key. The SSH key may be a whole authorized_keys line, with options
// before the key and a comment after it. Surrounding white space is ignored.
//
// Errors wrap ErrInvalidRecipient and, where the input looks like a common
// mistake (a secret key, an unsupported key type), say what to use instead.
func ParseRecipient(s string) (Recipient, error) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	switch {
	case s == "":
		return Recipient{}, fmt.Errorf("%w: empty key", ErrInvalidRecipient)
	case strings.HasPrefix(lower, "age-secret-key-"), strings.HasPrefix(lower, "age-plugin-"):
		return Recipient{}, fmt.Errorf("%w: this is a secret key, never share it; give the public key (age1..., as printed by `mysafe key` or `age-keygen -y`)", ErrInvalidRecipient)
	case strings.Contains(s, "PRIVATE KEY"):
		return Recipient{}, fmt.Errorf("%w: this is an SSH private key, never share it; give the public key (the .pub file)", ErrInvalidRecipient)
	case strings.HasPrefix(lower, "age1"):
		return parseAgeRecipient(s)
	}
	return parseSSHRecipient(s)
}

func parseAgeRecipient(s string) (Recipient, error) {
	if strings.ToUpper(s) == s {
		s = strings.ToLower(s) // Bech32 allows an all-upper-case spelling.
	}
	switch hrp := s[:max(strings.LastIndex(s, "1"), 0)]; hrp {
	case "age":
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return Recipient{}, fmt.Errorf("%w: malformed age key %q: check that it was copied whole", ErrInvalidRecipient, abbrev(s))
		}
		key := r.String()
		return Recipient{key: key, kind: KindX25519, fp: abbrev(key), r: r}, nil
	case "age1pq":
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return Recipient{}, fmt.Errorf("%w: malformed post-quantum age key %q: check that it was copied whole", ErrInvalidRecipient, abbrev(s))
		}
		key := r.String()
		return Recipient{key: key, kind: KindHybrid, fp: abbrev(key), r: r}, nil
	default:
		return Recipient{}, fmt.Errorf("%w: %q looks like an age plugin key (%s1...), which mysafe does not support; give an age1... or age1pq1... key", ErrInvalidRecipient, abbrev(s), hrp)
	}
}

func parseSSHRecipient(s string) (Recipient, error) {
	if strings.ContainsAny(s, "\r\n") {
		// ParseAuthorizedKey would silently skip lines it cannot parse.
		return Recipient{}, fmt.Errorf("%w: more than one line; give one key", ErrInvalidRecipient)
	}
	pk, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil || len(rest) != 0 {
		return Recipient{}, fmt.Errorf("%w: %q is not an age key (age1...) nor an SSH public key (ssh-ed25519 AAAA...)", ErrInvalidRecipient, abbrev(s))
	}
	var (
		r    age.Recipient
		kind Kind
	)
	switch t := pk.Type(); t {
	case ssh.KeyAlgoED25519:
		kind = KindSSHEd25519
		r, err = agessh.NewEd25519Recipient(pk)
	case ssh.KeyAlgoRSA:
		kind = KindSSHRSA
		r, err = agessh.NewRSARecipient(pk)
	default:
		return Recipient{}, fmt.Errorf("%w: age cannot encrypt to %s keys; use an ssh-ed25519 or ssh-rsa key, or an age key", ErrInvalidRecipient, t)
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("%w: %s key: %v", ErrInvalidRecipient, pk.Type(), err)
	}
	key := authorizedKey(pk)
	return Recipient{key: key, kind: kind, fp: ssh.FingerprintSHA256(pk), r: r}, nil
}

// Key returns the normalized public key: an age key in lower case, or an SSH
// key as "type base64" without options or comment. Two Recipients are the
// same key exactly when their Keys are equal.
func (r Recipient) Key() string { return r.key }

// Kind returns the type of the key.
func (r Recipient) Kind() Kind { return r.kind }

// PostQuantum reports whether the key resists quantum computers.
func (r Recipient) PostQuantum() bool { return r.kind.PostQuantum() }

// Fingerprint returns a short form of the key for display: "SHA256:..." for
// SSH keys, as `ssh-keygen -l` prints it, and the first and last characters
// of the key for age keys, which have no standard fingerprint.
func (r Recipient) Fingerprint() string { return r.fp }

// AgeRecipient returns the key as an age.Recipient, or nil for the zero
// Recipient.
func (r Recipient) AgeRecipient() age.Recipient { return r.r }

// String returns the name and fingerprint, for messages.
func (r Recipient) String() string {
	if r.Name == "" {
		return r.fp
	}
	return r.Name + " (" + r.fp + ")"
}

// CheckRecipients checks that rs can share one bundle and reports whether
// the bundle will be post-quantum, which it is when every recipient is. It
// returns an error wrapping ErrInvalidRecipient for an empty list or a
// Recipient not made by ParseRecipient, and one wrapping ErrMixedRecipients,
// naming one recipient of each kind, when post-quantum and classic keys are
// mixed.
func CheckRecipients(rs []Recipient) (postQuantum bool, err error) {
	if len(rs) == 0 {
		return false, fmt.Errorf("%w: no recipients", ErrInvalidRecipient)
	}
	var pq, classic *Recipient
	for i := range rs {
		switch {
		case rs[i].r == nil:
			return false, fmt.Errorf("%w: recipient %d was not made by ParseRecipient", ErrInvalidRecipient, i+1)
		case rs[i].PostQuantum():
			if pq == nil {
				pq = &rs[i]
			}
		case classic == nil:
			classic = &rs[i]
		}
	}
	if pq != nil && classic != nil {
		return false, fmt.Errorf("%w: %s has a post-quantum key but %s has a classic one; "+
			"send two bundles, one to each group, or ask the classic recipients for their post-quantum keys",
			ErrMixedRecipients, pq, classic)
	}
	return pq != nil, nil
}

// dedupe returns rs without repeated keys, keeping the first of each.
func dedupe(rs []Recipient) []Recipient {
	seen := make(map[string]bool, len(rs))
	out := make([]Recipient, 0, len(rs))
	for _, r := range rs {
		if !seen[r.key] {
			seen[r.key] = true
			out = append(out, r)
		}
	}
	return out
}

// abbrev shortens long keys for display and error messages.
func abbrev(s string) string {
	const head, tail = 12, 8
	if len(s) <= head+tail+3 {
		return s
	}
	return s[:head] + "..." + s[len(s)-tail:]
}

// normalizeKey returns the normalized form of a public key string, or s
// itself when it does not parse, so comparisons still work on odd input.
func normalizeKey(s string) string {
	r, err := ParseRecipient(s)
	if err != nil {
		return strings.TrimSpace(s)
	}
	return r.key
}

// sameKey reports whether a and b are the same public key.
func sameKey(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a == b || normalizeKey(a) == normalizeKey(b)
}
