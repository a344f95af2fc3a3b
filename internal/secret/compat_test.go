package secret

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExportOfEarlierVersionImports reads an export an earlier mysafe
// wrote (testdata/export1.json): whatever changes in the portable record
// shape, export files already written must keep importing, every field and
// every byte of a client secret kept.
func TestExportOfEarlierVersionImports(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "export1.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadImportJSON(f)
	if err != nil {
		t.Fatalf("the export no longer imports: %v", err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	hooks, ledger, pay := recs[0], recs[1], recs[2]
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
		{"token auth", pay.TokenAuth, TokenAuthForm},
		{"created", pay.CreatedAt.String(), time.Date(2026, 11, 28, 9, 15, 53, 0, time.UTC).String()},
		{"binary secret", hooks.ClientSecret.Reveal(), "bin\xff\xfe\x00key"},
		{"last use", hooks.LastUsedAt.String(), time.Date(2026, 11, 28, 9, 16, 1, 0, time.UTC).String()},
		{"empty secret", ledger.ClientSecret.Reveal(), ""},
		// Ids, owners, permissions and access lists belong to the vault that
		// wrote the file: an import leaves them for the importing vault.
		{"id", pay.ID, ""},
		{"owner", pay.Owner, ""},
		{"access entries", strconv.Itoa(len(pay.Access)), "0"},
	}
	for _, w := range want {
		if w.got != w.want {
			t.Errorf("%s: got %q, want %q", w.field, w.got, w.want)
		}
	}
}
