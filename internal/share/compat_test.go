package share

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
)

// TestBundleOfEarlierVersionOpens opens a bundle that an earlier mysafe
// wrote (testdata/bundle2/README): whatever changes in how records are
// held, bundles already sent must keep verifying, owner signatures
// included, and give back every field.
func TestBundleOfEarlierVersionOpens(t *testing.T) {
	dir := filepath.Join("testdata", "bundle2")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	ids, err := age.ParseIdentities(strings.NewReader(read("ci-identity.txt")))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(read("bundle.txt"))
	card, err := ParseCard(read("alice.card"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)

	o, err := OpenFrom(data, ids, ContactFromCard("alice", card, now), now, OpenOptions{})
	if err != nil {
		t.Fatalf("the bundle no longer opens: %v", err)
	}
	if len(o.Payload.Records) != 2 {
		t.Fatalf("%d records, want 2", len(o.Payload.Records))
	}
	for _, rec := range o.Payload.Records {
		if rec.OwnerSigner != card.Signing {
			t.Errorf("%s: owner signature by %q, want alice's key", rec.Name, rec.OwnerSigner)
		}
	}

	recs, err := ReadBundle(data, ids, read("alice.card"), now)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 28, 9, 15, 53, 0, time.UTC)
	pay, wx := recs[0], recs[1]
	want := []struct{ field, got, want string }{
		{"name", pay.Name, "payments"},
		{"url", pay.URL, "https://pay.example/v2"},
		{"client id", pay.ClientID, "pay-app"},
		{"client secret", pay.ClientSecret.Reveal(), "sk_live_fixture_payments"},
		{"identifier", pay.Identifier, "payments-prod"},
		{"method", pay.Method, "POST"},
		{"tags", strings.Join(pay.Tags, ","), "eu,prod"},
		{"notes", pay.Notes, "rotated quarterly\nask ops <ops@example.com>"},
		{"token url", pay.TokenURL, "https://auth.pay.example/oauth2/token"},
		{"token auth", pay.TokenAuth, secret.TokenAuthForm},
		{"owner", pay.Owner, "alice"},
		{"owner key", pay.OwnerKey, card.Sharing},
		{"created", pay.CreatedAt.UTC().Truncate(time.Second).String(), created.String()},
		{"revision", strconv.FormatUint(pay.Revision, 10), "1"},
		{"weather name", wx.Name, "weather"},
		{"weather secret", wx.ClientSecret.Reveal(), "wx-fixture-secret"},
		{"weather token url", wx.TokenURL, ""},
	}
	for _, w := range want {
		if w.got != w.want {
			t.Errorf("%s: got %q, want %q", w.field, w.got, w.want)
		}
	}
	if len(pay.UID) != 32 || pay.UID == wx.UID {
		t.Errorf("uids %q and %q", pay.UID, wx.UID)
	}
}
