package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad reads arbitrary bytes as the config file: Load must never panic,
// and a configuration it accepts has a vault path and sane values.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"vault: ~/v.db\nclipboard:\n  clear_after: 30s\nno_input: true\nidentity_file: /k\nimport:\n  max_size: 1MiB\n",
		"vault: [1, 2]\n",
		"clipboard: {clear_after: -1s}\n",
		"import: {max_size: 0}\n",
		"a: &a [*a, *a]\n",
		"\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(flags(t, "--config", path), func(k string) string {
			if k == "HOME" {
				return dir
			}
			return ""
		})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if c.VaultPath == "" || c.ClipboardClearAfter < 0 || c.ImportMaxSize <= 0 {
			t.Fatalf("accepted a bad configuration: %+v", c)
		}
	})
}
