package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// setup gives a test a home directory and an environment of its own, and
// returns the Env to pass to Load. The process environment is not touched:
// Load must read nothing from it.
func setup(t *testing.T, env map[string]string) (home string, getenv Env) {
	t.Helper()
	home = t.TempDir()
	vars := map[string]string{"HOME": home}
	for k, v := range env {
		vars[k] = strings.ReplaceAll(v, "$HOME", home)
	}
	return home, func(k string) string { return vars[k] }
}

// flags are the root command's persistent flags, parsed from args.
func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("mysafe", pflag.ContinueOnError)
	fs.String("vault", "", "")
	fs.String("config", "", "")
	fs.Bool("no-input", false, "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVaultPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		files   map[string]string // $HOME-relative path -> content
		args    []string
		want    string // $HOME is replaced
		cfgFile string // the file Load reports reading
	}{
		{name: "default", want: "$HOME/.local/share/mysafe/vault.db"},
		{name: "XDG_DATA_HOME", env: map[string]string{"XDG_DATA_HOME": "$HOME/data"}, want: "$HOME/data/mysafe/vault.db"},
		{name: "relative XDG_DATA_HOME is ignored", env: map[string]string{"XDG_DATA_HOME": "data"}, want: "$HOME/.local/share/mysafe/vault.db"},
		{
			name:    "config file in ~/.config",
			files:   map[string]string{".config/mysafe/config.yaml": "vault: ~/from-config.db\n"},
			want:    "$HOME/from-config.db",
			cfgFile: "$HOME/.config/mysafe/config.yaml",
		},
		{
			name:    "config file in XDG_CONFIG_HOME",
			env:     map[string]string{"XDG_CONFIG_HOME": "$HOME/xdg"},
			files:   map[string]string{"xdg/mysafe/config.yaml": "vault: /abs/xdg.db\n", ".config/mysafe/config.yaml": "vault: /abs/ignored.db\n"},
			want:    "/abs/xdg.db",
			cfgFile: "$HOME/xdg/mysafe/config.yaml",
		},
		{
			name:  "MYSAFE_VAULT beats the config file",
			env:   map[string]string{"MYSAFE_VAULT": "/abs/env.db"},
			files: map[string]string{".config/mysafe/config.yaml": "vault: /abs/config.db\n"},
			want:  "/abs/env.db", cfgFile: "$HOME/.config/mysafe/config.yaml",
		},
		{
			name:  "--vault beats MYSAFE_VAULT",
			env:   map[string]string{"MYSAFE_VAULT": "/abs/env.db"},
			files: map[string]string{".config/mysafe/config.yaml": "vault: /abs/config.db\n"},
			args:  []string{"--vault", "flag.db"},
			want:  "flag.db", cfgFile: "$HOME/.config/mysafe/config.yaml",
		},
		{
			name: "--vault with ~",
			args: []string{"--vault", "~/flag.db"},
			want: "$HOME/flag.db",
		},
		{
			name:  "--config replaces the default file",
			files: map[string]string{".config/mysafe/config.yaml": "vault: /abs/default-file.db\n", "other.yaml": "vault: /abs/other.db\n"},
			args:  []string{"--config", "$HOME/other.yaml"},
			want:  "/abs/other.db", cfgFile: "$HOME/other.yaml",
		},
		{
			name:  "MYSAFE_CONFIG names the file",
			env:   map[string]string{"MYSAFE_CONFIG": "$HOME/env.yaml"},
			files: map[string]string{"env.yaml": "vault: /abs/env-file.db\n", "flag.yaml": "vault: /abs/flag-file.db\n"},
			want:  "/abs/env-file.db", cfgFile: "$HOME/env.yaml",
		},
		{
			name:  "--config beats MYSAFE_CONFIG",
			env:   map[string]string{"MYSAFE_CONFIG": "$HOME/env.yaml"},
			files: map[string]string{"env.yaml": "vault: /abs/env-file.db\n", "flag.yaml": "vault: /abs/flag-file.db\n"},
			args:  []string{"--config", "$HOME/flag.yaml"},
			want:  "/abs/flag-file.db", cfgFile: "$HOME/flag.yaml",
		},
		{
			name:  "a config file without vault keeps the default",
			files: map[string]string{".config/mysafe/config.yaml": "no_input: false\n"},
			want:  "$HOME/.local/share/mysafe/vault.db", cfgFile: "$HOME/.config/mysafe/config.yaml",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, env := setup(t, tc.env)
			for p, content := range tc.files {
				writeFile(t, filepath.Join(home, p), content)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$HOME", home)
			}
			c, err := Load(flags(t, args...), env)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ReplaceAll(tc.want, "$HOME", home); c.VaultPath != want {
				t.Errorf("VaultPath = %q, want %q", c.VaultPath, want)
			}
			if want := strings.ReplaceAll(tc.cfgFile, "$HOME", home); c.ConfigFile != want {
				t.Errorf("ConfigFile = %q, want %q", c.ConfigFile, want)
			}
		})
	}
}

func TestConfigFileErrors(t *testing.T) {
	home, env := setup(t, nil)
	if _, err := Load(flags(t, "--config", filepath.Join(home, "missing.yaml")), env); err == nil {
		t.Error("a named config file that does not exist was accepted")
	}
	withMissing := func(k string) string {
		if k == "MYSAFE_CONFIG" {
			return filepath.Join(home, "missing.yaml")
		}
		return env(k)
	}
	if _, err := Load(flags(t), withMissing); err == nil {
		t.Error("MYSAFE_CONFIG naming a missing file was accepted")
	}

	broken := filepath.Join(home, ".config", "mysafe", "config.yaml")
	writeFile(t, broken, "vault: [unclosed\n  more: x\n")
	_, err := Load(flags(t), env)
	if err == nil || !strings.Contains(err.Error(), broken) || strings.Contains(err.Error(), "\n") {
		t.Errorf("broken YAML: %v; want one line naming the file", err)
	}
}

func TestClearAfter(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string // config.yaml content
		env  string // MYSAFE_CLIPBOARD_CLEAR_AFTER
		want time.Duration
		bad  bool
	}{
		{name: "default", want: DefaultClearAfter},
		{name: "file, duration", file: "clipboard:\n  clear_after: 30s\n", want: 30 * time.Second},
		{name: "file, seconds", file: "clipboard:\n  clear_after: 90\n", want: 90 * time.Second},
		{name: "file, zero turns it off", file: "clipboard:\n  clear_after: 0\n", want: 0},
		{name: "env beats file", file: "clipboard:\n  clear_after: 30s\n", env: "2m", want: 2 * time.Minute},
		{name: "negative", file: "clipboard:\n  clear_after: -5s\n", bad: true},
		{name: "words", env: "soon", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, env := setup(t, map[string]string{"MYSAFE_CLIPBOARD_CLEAR_AFTER": tc.env})
			if tc.file != "" {
				writeFile(t, filepath.Join(home, ".config", "mysafe", "config.yaml"), tc.file)
			}
			c, err := Load(flags(t), env)
			if tc.bad {
				if err == nil || !strings.HasPrefix(err.Error(), "clipboard.clear_after: ") {
					t.Errorf("Load = %v, want a clipboard.clear_after error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.ClipboardClearAfter != tc.want {
				t.Errorf("ClipboardClearAfter = %v, want %v", c.ClipboardClearAfter, tc.want)
			}
		})
	}
}

func TestTokenTimeout(t *testing.T) {
	for _, tc := range []struct {
		name, file, env string
		want            time.Duration
		bad             bool
	}{
		{name: "unset: the command's default", want: 0},
		{name: "file", file: "token:\n  timeout: 5s\n", want: 5 * time.Second},
		{name: "env beats file", file: "token:\n  timeout: 5s\n", env: "1m", want: time.Minute},
		{name: "zero would wait forever", env: "0", bad: true},
		{name: "negative", file: "token:\n  timeout: -5s\n", bad: true},
		{name: "words", file: "token:\n  timeout: long\n", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, env := setup(t, map[string]string{"MYSAFE_TOKEN_TIMEOUT": tc.env})
			if tc.file != "" {
				writeFile(t, filepath.Join(home, ".config", "mysafe", "config.yaml"), tc.file)
			}
			c, err := Load(flags(t), env)
			if tc.bad {
				if err == nil || !strings.HasPrefix(err.Error(), "token.timeout: ") {
					t.Errorf("Load = %v, want a token.timeout error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.TokenTimeout != tc.want {
				t.Errorf("TokenTimeout = %v, want %v", c.TokenTimeout, tc.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"45s": 45 * time.Second, "2m": 2 * time.Minute, "1h30m": 90 * time.Minute, "1.5s": 1500 * time.Millisecond,
		"90": 90 * time.Second, " 30s ": 30 * time.Second, "0": 0, "": 0, "0s": 0,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1s", "-5", "+5", "1.5", "soon", "5 s", "0x10", "45sec",
		// Too many seconds for a time.Duration: must not wrap around.
		"9223372037", "99999999999999"} {
		if got, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, got)
		}
	}
}

func TestNoInputAndIdentityFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		file    string
		args    []string
		noInput bool
		idFile  string
		bad     bool
	}{
		{name: "defaults"},
		{name: "flag", args: []string{"--no-input"}, noInput: true},
		{name: "env 1", env: map[string]string{"MYSAFE_NO_INPUT": "1"}, noInput: true},
		{name: "env yes", env: map[string]string{"MYSAFE_NO_INPUT": "YES"}, noInput: true},
		{name: "env false", env: map[string]string{"MYSAFE_NO_INPUT": "false"}},
		{name: "file", file: "no_input: true\n", noInput: true},
		{name: "flag beats file", file: "no_input: true\n", args: []string{"--no-input=false"}},
		{name: "env nonsense", env: map[string]string{"MYSAFE_NO_INPUT": "maybe"}, bad: true},
		{name: "identity file from the file", file: "identity_file: ~/ci/id.txt\n", idFile: "$HOME/ci/id.txt"},
		{
			name: "identity file from the env", file: "identity_file: /abs/file.txt\n",
			env: map[string]string{"MYSAFE_IDENTITY_FILE": "/abs/env.txt"}, idFile: "/abs/env.txt",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home, env := setup(t, tc.env)
			if tc.file != "" {
				writeFile(t, filepath.Join(home, ".config", "mysafe", "config.yaml"), tc.file)
			}
			c, err := Load(flags(t, tc.args...), env)
			if tc.bad {
				if err == nil {
					t.Error("Load accepted it")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.NoInput != tc.noInput {
				t.Errorf("NoInput = %v, want %v", c.NoInput, tc.noInput)
			}
			if want := strings.ReplaceAll(tc.idFile, "$HOME", home); c.IdentityFile != want {
				t.Errorf("IdentityFile = %q, want %q", c.IdentityFile, want)
			}
		})
	}
}

// Settings come from the environment Load is given, never from the
// process's own: a caller (or a test) that passes an environment gets
// exactly that one.
func TestProcessEnvironmentIgnored(t *testing.T) {
	t.Setenv("MYSAFE_VAULT", "/from/the/process/vault.db")
	t.Setenv("MYSAFE_NO_INPUT", "true")
	t.Setenv("MYSAFE_CLIPBOARD_CLEAR_AFTER", "not a duration")
	home, env := setup(t, nil)
	c, err := Load(flags(t), env)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".local", "share", "mysafe", "vault.db"); c.VaultPath != want {
		t.Errorf("VaultPath = %q, want %q", c.VaultPath, want)
	}
	if c.NoInput || c.ClipboardClearAfter != DefaultClearAfter {
		t.Errorf("process environment leaked in: NoInput=%v ClipboardClearAfter=%v", c.NoInput, c.ClipboardClearAfter)
	}

	_, env = setup(t, map[string]string{"MYSAFE_VAULT": "/given/vault.db"})
	if c, err = Load(flags(t), env); err != nil || c.VaultPath != "/given/vault.db" {
		t.Errorf("VaultPath = %q, %v; want the given MYSAFE_VAULT", c.VaultPath, err)
	}
	if c, err = Load(flags(t, "--vault", "/flag/vault.db"), env); err != nil || c.VaultPath != "/flag/vault.db" {
		t.Errorf("VaultPath = %q, %v; a flag must win over MYSAFE_VAULT", c.VaultPath, err)
	}
}

func TestEnvName(t *testing.T) {
	for key, want := range map[string]string{
		"vault":                 "MYSAFE_VAULT",
		"clipboard.clear_after": "MYSAFE_CLIPBOARD_CLEAR_AFTER",
		"no_input":              "MYSAFE_NO_INPUT",
	} {
		if got := EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

// Keys the config file has but mysafe does not know are reported, not
// fatal; known keys in any case and nested spelling are not.
func TestUnknownKeys(t *testing.T) {
	home, env := setup(t, nil)
	writeFile(t, filepath.Join(home, ".config", "mysafe", "config.yaml"),
		"vault: v.db\nclipboard:\n  clear_after: 10s\n  clearafter: 5s\nlock_timout: 3s\nIMPORT:\n  MAX_SIZE: 1MiB\nextra: {a: 1}\n")
	c, err := Load(flags(t), env)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"clipboard.clearafter", "extra.a", "lock_timout"}; !slices.Equal(c.UnknownKeys, want) {
		t.Errorf("UnknownKeys = %q, want %q", c.UnknownKeys, want)
	}
	if c.ImportMaxSize != 1<<20 || c.ClipboardClearAfter != 10*time.Second {
		t.Errorf("known keys not applied: %+v", c)
	}
	_, env = setup(t, map[string]string{"MYSAFE_LOCK_TIMEOUT": "4s"})
	if c, err := Load(flags(t), env); err != nil || c.UnknownKeys != nil {
		t.Errorf("without a config file: %v, %v", c.UnknownKeys, err)
	}
}
