package manpages

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestManPages generates the man pages and checks that every command has one
// with its flags, dated by SOURCE_DATE_EPOCH.
func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "HOME": t.TempDir()}
	var errOut bytes.Buffer
	if code := Main([]string{"-version", "test", dir}, func(k string) string { return env[k] }, time.Now, &errOut); code != 0 {
		t.Fatalf("mysafe-man: exit %d, %s", code, errOut.String())
	}
	for page, want := range map[string]string{
		"mysafe.1":             `.TH "MYSAFE" "1" "Nov 2023" "mysafe test" "mysafe manual"`,
		"mysafe-reveal.1":      "reveal",
		"mysafe-import.1":      `\fB--skip-invalid\fP`,
		"mysafe-export.1":      "dotenv",
		"mysafe-completion.1":  "completion",
		"mysafe-share.1":       "share",
		"mysafe-contact-add.1": "contact",
	} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("no %s: %v", page, err)
			continue
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not hold %q", page, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "man-pages") || strings.Contains(e.Name(), "__complete") {
			t.Errorf("a page for a hidden command: %s", e.Name())
		}
	}
}

// TestBadCommandLines: exit 2 and one line on stderr, nothing written.
func TestBadCommandLines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man")
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{nil, nil},
		{[]string{dir, "extra"}, nil},
		{[]string{"-bogus", dir}, nil},
		{[]string{dir}, map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}},
	} {
		var errOut bytes.Buffer
		code := Main(tc.args, func(k string) string { return tc.env[k] }, time.Now, &errOut)
		if code != 2 || !strings.HasPrefix(errOut.String(), "mysafe-man: ") || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%q %v: exit %d, stderr %q", tc.args, tc.env, code, errOut.String())
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("%q %v wrote %s", tc.args, tc.env, dir)
		}
	}
}
