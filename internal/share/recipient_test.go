package share

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestParseRecipient(t *testing.T) {
	x := newX25519Person(t, "x")
	pq := newHybridPerson(t, "pq")
	ed := newSSHEd25519Person(t, "ed")
	rsaP := newSSHRSAPerson(t, "rsa")
	edKey := strings.Join(strings.Fields(ed.key)[:2], " ")

	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPK, _ := ssh.NewPublicKey(&smallRSA.PublicKey)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPK, _ := ssh.NewPublicKey(&ec.PublicKey)

	good := []struct {
		name, in, key string
		kind          Kind
		fpPrefix      string
	}{
		{"x25519", x.key, x.key, KindX25519, x.key[:12] + "..."},
		{"x25519 upper case with spaces", "  " + strings.ToUpper(x.key) + "\n", x.key, KindX25519, "age1"},
		{"hybrid", pq.key, pq.key, KindHybrid, "age1pq1"},
		{"ssh-ed25519 bare", edKey, edKey, KindSSHEd25519, "SHA256:"},
		{"ssh-ed25519 with comment", ed.key, edKey, KindSSHEd25519, "SHA256:"},
		{"authorized_keys line", `no-pty,command="echo hi" ` + edKey + " laptop key", edKey, KindSSHEd25519, "SHA256:"},
		{"ssh-rsa", rsaP.key + " me@host", rsaP.key, KindSSHRSA, "SHA256:"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRecipient(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Key() != tt.key || r.Kind() != tt.kind || !strings.HasPrefix(r.Fingerprint(), tt.fpPrefix) || r.AgeRecipient() == nil {
				t.Errorf("got key %q kind %q fp %q", r.Key(), r.Kind(), r.Fingerprint())
			}
			if r.PostQuantum() != (tt.kind == KindHybrid) {
				t.Errorf("PostQuantum() = %v", r.PostQuantum())
			}
			if len(r.Fingerprint()) > 60 {
				t.Errorf("fingerprint %q is not short", r.Fingerprint())
			}
		})
	}

	bad := []struct{ name, in, hint string }{
		{"empty", "  ", "empty"},
		{"age secret key", "AGE-SECRET-KEY-1QQQ", "secret key"},
		{"pq secret key", "AGE-SECRET-KEY-PQ-1QQQ", "secret key"},
		{"ssh private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----", "private key"},
		{"truncated age key", x.key[:40], "copied whole"},
		{"bad checksum", x.key[:len(x.key)-1] + map[bool]string{true: "p", false: "q"}[strings.HasSuffix(x.key, "q")], "copied whole"},
		{"truncated pq key", pq.key[:200], "copied whole"},
		{"plugin", "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t", "plugin"},
		{"garbage", "hello world", "not an age key"},
		{"two keys", edKey + "\n" + rsaP.key, "one key"},
		{"small rsa", authorizedKey(smallPK), "too small"},
		{"ecdsa", authorizedKey(ecPK), "ecdsa-sha2-nistp256"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRecipient(tt.in)
			if !errors.Is(err, ErrInvalidRecipient) {
				t.Fatalf("err = %v, want ErrInvalidRecipient", err)
			}
			if !strings.Contains(err.Error(), tt.hint) {
				t.Errorf("error %q lacks %q", err, tt.hint)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestRecipientString(t *testing.T) {
	r, err := ParseRecipient(newX25519Person(t, "x").key)
	if err != nil {
		t.Fatal(err)
	}
	if r.String() != r.Fingerprint() {
		t.Errorf("String() = %q", r.String())
	}
	r.Name = "bob"
	if want := "bob (" + r.Fingerprint() + ")"; r.String() != want {
		t.Errorf("String() = %q, want %q", r.String(), want)
	}
}

func FuzzParseRecipient(f *testing.F) {
	f.Add("age1wx9raxy5k0ffxmxpl4lc0lr4te0l2j00pp4vmfks2mgdtxswysfs2tz3pr")
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKZ3UPc5XakW4WBSNGWMMC7MC6pSe2mE5XRcCzTLl6T2 a@b")
	f.Add(`command="x" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKZ3UPc5XakW4WBSNGWMMC7MC6pSe2mE5XRcCzTLl6T2`)
	f.Add("age1pq1")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecipient(s)
		if err != nil {
			return
		}
		again, err := ParseRecipient(r.Key())
		if err != nil || again.Key() != r.Key() || again.Kind() != r.Kind() {
			t.Fatalf("normalized key %q does not parse back to itself: %v", r.Key(), err)
		}
	})
}
