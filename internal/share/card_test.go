package share

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCard(t *testing.T) {
	u := newUser(t, "alice")
	line, err := MakeCard(u.key(), u.pq.Recipient().String(), u.signing)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(line, "\n\r") || !strings.HasPrefix(line, CardPrefix+" age1") {
		t.Fatalf("card %q is not one line starting with the prefix", line)
	}
	c, err := ParseCard("  " + line + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Sharing != u.key() || c.PQ != u.pq.Recipient().String() || c.Signing != u.card.Signing || !strings.HasPrefix(c.Fingerprint(), "SHA256:") {
		t.Errorf("parsed %+v", c)
	}
	other := newUser(t, "mallory")
	fields := strings.Split(line, " ")
	swap := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i] = v
		return strings.Join(f, " ")
	}
	for name, bad := range map[string]string{
		"empty":                "",
		"plain key":            u.key(),
		"cut short":            line[:len(line)/2],
		"other age key":        swap(1, other.key()),
		"other pq key":         swap(2, other.pq.Recipient().String()),
		"other signing key":    swap(4, strings.Fields(other.card.Signing)[1]),
		"pq key in first slot": swap(1, u.pq.Recipient().String()),
		"bad signature":        swap(5, strings.Repeat("A", 86)+"=="),
		"other prefix":         swap(0, "mysafe-card-2"),
		"two lines":            line + "\n" + line,
	} {
		if _, err := ParseCard(bad); !errors.Is(err, ErrInvalidCard) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestLookalike(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"payments", "payments", true},
		{"payments", "PAYMENTS", true},
		{"payments", "pаyments", true}, // Cyrillic а
		{"payments", "ｐａｙｍｅｎｔｓ", true}, // full width
		{"paypal", "pаypаl", true},
		{"payments", "payment", false},
		{"billing", "biIling", true}, // capital I for l
		{"api-1", "api-l", true},     // digit one for l
		{"prod", "staging", false},
	} {
		if got := Lookalike(tt.a, tt.b); got != tt.same {
			t.Errorf("Lookalike(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestCheckStrict(t *testing.T) {
	s := obj(map[string]member{
		"name": req(str(5)),
		"tags": opt(arr(2, str(3))),
		"n":    opt(num()),
	})
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{`{"name":"a"}`, true},
		{`{"name":"a","tags":["x","y"],"n":1}`, true},
		{` {"name":"a"} `, true},
		{`{}`, false},
		{`{"name":"a","name":"b"}`, false},
		{`{"name":"a","Name":"b"}`, false},
		{`{"Name":"a"}`, false},
		{`{"name":"a","x":1}`, false},
		{`{"name":"abcdef"}`, false},
		{`{"name":"a","tags":["x","y","z"]}`, false},
		{`{"name":"a","tags":["long"]}`, false},
		{`{"name":1}`, false},
		{`{"name":"a","n":"1"}`, false},
		{`{"name":"a"}{}`, false},
		{`[]`, false},
		{`{"name":"a"`, false},
	} {
		if err := checkStrict([]byte(tt.in), s); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.in, err)
		}
	}
}

// FuzzParseCard checks that any line either parses to a card that prints
// back to the same keys or fails with ErrInvalidCard, never panicking.
func FuzzParseCard(f *testing.F) {
	u := newUser(f, "alice")
	line, _ := MakeCard(u.key(), u.pq.Recipient().String(), u.signing)
	f.Add(line)
	f.Add(CardPrefix + " a b c d e")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCard(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidCard) {
				t.Fatalf("error %v does not wrap ErrInvalidCard", err)
			}
			return
		}
		if !strings.HasPrefix(strings.TrimSpace(s), c.String()+" ") {
			t.Fatalf("parsed %q from %q", c.String(), s)
		}
	})
}

// FuzzCheckStrict checks that the strict checker never panics and accepts
// nothing that encoding/json rejects.
func FuzzCheckStrict(f *testing.F) {
	f.Add([]byte(`{"payload": {"format": "mysafe-share"}, "signature": ""}`))
	f.Add([]byte(`{"payload": 1, "payload": 2}`))
	f.Add([]byte(`[[[[[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if checkStrict(data, envelopeShape()) == nil && !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		_ = checkStrict(data, payloadShape())
	})
}
