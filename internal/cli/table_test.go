package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

// hostileRecord is what a share bundle from someone else, or a vault written
// before names were checked, can hold: every shown field tries to act on the
// terminal.
func hostileRecord() *secret.Record {
	return &secret.Record{
		ID: "0123456789abcdef", Name: "pay\x1b[2J\u202eexe.txt", URL: "https://x.example/\x1b]52;c;aGk=\x07",
		ClientID: "app\r", Identifier: "id\u200b", Method: "GET", Tags: []string{"t\x1b"},
		Notes: "line one\x1b[H\nline\ttwo", Owner: "mallory\x1b]0;title\x07", Permission: secret.PermView,
		CreatedAt: time.Unix(0, 0), UpdatedAt: time.Unix(0, 0),
		Access: []secret.Access{{Name: "mal\u2066lory", Recipient: "age1\x1b[2J", Permission: secret.PermOwner}},
	}
}

func TestWriteTableEscapes(t *testing.T) {
	var b bytes.Buffer
	rows := listRows{sortBy: "name"}
	rows.add(hostileRecord())
	if err := rows.writeTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	assertInert(t, out)
	for _, want := range []string{`pay\x1b[2J\u202eexe.txt`, `id\u200b`, `https://x.example/\x1b]52;c;aGk=\x07`, `t\x1b`, `mallory\x1b]0;title\x07`} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("table has %d lines, want 2:\n%s", n, out)
	}
}

// TestListTableAgrees: the table of `list`, made row by row from copies of
// the cells, is the table sortRecords and writeAligned make of the records
// themselves, whatever the names (case, letters whose lower case is longer
// or shorter, long shared prefixes, equal names), the widths and the
// escaping.
func TestListTableAgrees(t *testing.T) {
	names := []string{"payments", "Payments", "PAYMENTS", "payments", "pay", "a", "Z", "zeta", "İstanbul", "istanbul",
		"ẞtraße", "支付", "Zu\u0308rich", "🔑 keys", "production-payments-eu-west-1", "production-payments-eu-west-2",
		"Production-Payments-EU", "production-payments", "pay\x1b[2J", "x\u202ey", "0123456789abcdefZ", "0123456789abcdefa"}
	var recs []*secret.Record
	for i, n := range names {
		r := &secret.Record{ID: fmt.Sprintf("%016x", (i*7919)%97), Name: n, URL: "https://" + strings.Repeat("u", i%5) + ".example",
			Owner: []string{"me", "mallory\x1b]0;t\x07", "ünï"}[i%3], Method: []string{"", "GET", "POST"}[i%3],
			Identifier: []string{"", "id-" + n, "i"}[i%3], Tags: [][]string{nil, {"prod"}, {"a", "中文", "t\x1b"}}[i%3]}
		if i%4 == 1 {
			r.LastUsedAt = time.Date(2026, 1, i, 10, i, 0, 0, time.UTC)
		}
		recs = append(recs, r)
	}
	rows := listRows{sortBy: "name"}
	for _, r := range recs {
		rows.add(r)
	}
	rows.sort()
	var got bytes.Buffer
	if err := rows.writeTable(&got); err != nil {
		t.Fatal(err)
	}
	sortRecords(recs)
	cells := [][]string{listHeader[:]}
	for _, r := range recs {
		tags := strings.Join(r.Tags, ",")
		if tags == "" {
			tags = "-"
		}
		cells = append(cells, []string{r.Name, dash(r.Identifier), r.URL, dash(r.Method), tags, r.Owner, lastUse(r.LastUsedAt)})
	}
	var want bytes.Buffer
	if err := writeAligned(&want, cells); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("list table:\n%s\nwant:\n%s", got.String(), want.String())
	}
}

func TestWriteDetailsEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := writeDetails(&b, hostileRecord()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	assertInert(t, out)
	for _, want := range []string{`Name:        pay\x1b[2J\u202eexe.txt`, `Client ID:   app\r`, `Notes:       line one\x1b[H`,
		"             line\\ttwo\n", `Owner:       mallory\x1b]0;title\x07`, `mal\u2066lory`, `age1\x1b[2J`} {
		if !strings.Contains(out, want) {
			t.Errorf("details lack %q:\n%s", want, out)
		}
	}
}

// assertInert fails if out holds anything a terminal acts on besides the
// newlines that end lines.
func assertInert(t *testing.T, out string) {
	t.Helper()
	for _, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x2000 && r <= 0x206f && r != ' ') {
			t.Fatalf("output holds %U:\n%q", r, out)
		}
	}
}

// Columns line up on a terminal: cells are padded by the columns they take,
// not by their bytes or runes.
func TestWriteAlignedDisplayWidth(t *testing.T) {
	var b bytes.Buffer
	rows := [][]string{
		{"NAME", "URL", "TAGS"},
		{"支付", "https://pay.example", "中文"},
		{"Zu\u0308rich", "https://zh.example", "-"},
		{"🔑 keys", "https://k.example", "-"},
		{"plain", "https://plain.example", "-"},
	}
	if err := writeAligned(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := "NAME     URL                    TAGS\n" +
		"支付     https://pay.example    中文\n" +
		"Zu\u0308rich   https://zh.example     -\n" +
		"🔑 keys  https://k.example      -\n" +
		"plain    https://plain.example  -\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
