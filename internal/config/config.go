// Package config turns flags, MYSAFE_* environment variables, the config
// file and defaults into one typed Config. It is the only package that knows
// about viper. Precedence: flags > environment > config file > defaults.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/mysafe/mysafe/internal/safefile"
)

// Config is mysafe's resolved configuration.
type Config struct {
	VaultPath           string        // vault
	ClipboardClearAfter time.Duration // clipboard.clear_after
	NoInput             bool          // no_input: never prompt
	IdentityFile        string        // identity_file: unlock with this identity file
	LockTimeout         time.Duration // lock_timeout: how long to wait for another mysafe process
	StateDir            string        // where mysafe keeps what it remembers about vaults (not a setting)
	ImportMaxSize       int64         // import.max_size: largest file import reads, in bytes
	SharedFiles         bool          // allow_shared_files: accept a vault or unlock file others can read or another user owns
	TokenTimeout        time.Duration // token.timeout: how long `mysafe token` waits for the endpoint; 0 means its default
	HistoryMaxVersions  int           // history.max_versions: earlier versions kept per API secret
	ConfigFile          string        // the file that was read, if any
	// UnknownKeys are the keys of the config file that are no setting
	// (a typo, or a setting of another version), sorted. They are ignored;
	// the caller warns about them.
	UnknownKeys []string
}

// Keys lists every setting, as written in the config file. Each can also be
// set with its environment variable (EnvName).
func Keys() []string {
	return []string{"vault", "clipboard.clear_after", "no_input", "identity_file", "lock_timeout", "import.max_size", "allow_shared_files", "token.timeout", "history.max_versions"}
}

// Defaults for settings that have one.
const (
	DefaultClearAfter    = 45 * time.Second
	DefaultLockTimeout   = 10 * time.Second
	DefaultImportMaxSize = 64 << 20
	DefaultMaxVersions   = 10
	// MaxMaxVersions bounds history.max_versions: each kept version is a
	// sealed copy of the API secret in the vault file.
	MaxMaxVersions = 1000
)

// maxConfigFileLen bounds the config file: a few settings need a few
// hundred bytes.
const maxConfigFileLen = 1 << 20

// Env looks up an environment variable.
type Env func(string) string

// Paths resolves default locations with the XDG base-directory rules.
func dataHome(env Env) (string, error) {
	if d := env("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home := env("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", errors.New("cannot find a home directory; set --vault or MYSAFE_VAULT")
		}
	}
	return filepath.Join(home, ".local", "share"), nil
}

// stateHome is $XDG_STATE_HOME, or ~/.local/state.
func stateHome(env Env) (string, error) {
	if d := env("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home := env("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", errors.New("cannot find a home directory for mysafe's state; set XDG_STATE_HOME")
		}
	}
	return filepath.Join(home, ".local", "state"), nil
}

func configHome(env Env) string {
	if d := env("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d
	}
	if home := env("HOME"); home != "" {
		return filepath.Join(home, ".config")
	}
	d, _ := os.UserConfigDir()
	return d
}

// Load resolves the configuration. flags are the root command's persistent
// flags (vault, config, no-input); configFile is --config ("" for the
// default location, which may be absent; a named file must exist).
func Load(flags *pflag.FlagSet, env Env) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	v.SetDefault("clipboard.clear_after", DefaultClearAfter.String())
	v.SetDefault("no_input", false)
	v.SetDefault("lock_timeout", DefaultLockTimeout.String())
	v.SetDefault("import.max_size", "64MiB")
	v.SetDefault("allow_shared_files", false)
	v.SetDefault("history.max_versions", strconv.Itoa(DefaultMaxVersions))

	flagOf := map[string]string{"vault": "vault", "no_input": "no-input"}
	for key, flag := range flagOf {
		if f := flags.Lookup(flag); f != nil {
			if err := v.BindPFlag(key, f); err != nil {
				return nil, err
			}
		}
	}
	// MYSAFE_VAULT, MYSAFE_CLIPBOARD_CLEAR_AFTER, MYSAFE_NO_INPUT,
	// MYSAFE_IDENTITY_FILE, MYSAFE_LOCK_TIMEOUT, MYSAFE_IMPORT_MAX_SIZE,
	// MYSAFE_ALLOW_SHARED_FILES, MYSAFE_TOKEN_TIMEOUT, read through env rather than viper's own view
	// of the process environment, so that what the caller passes is all
	// there is. A value set here overrides the file and the defaults but
	// not a flag given on the command line.
	for _, key := range Keys() {
		val := env(EnvName(key))
		if val == "" {
			continue
		}
		if f := flags.Lookup(flagOf[key]); f != nil && f.Changed {
			continue
		}
		v.Set(key, val)
	}

	cfgFile, _ := flags.GetString("config")
	explicit := cfgFile != ""
	if !explicit {
		cfgFile = env("MYSAFE_CONFIG")
		explicit = cfgFile != ""
	}
	if !explicit {
		cfgFile = filepath.Join(configHome(env), "mysafe", "config.yaml")
	}
	read := ""
	if data, err := readConfigFile(cfgFile); err == nil {
		if err := v.ReadConfig(strings.NewReader(string(data))); err != nil {
			return nil, fmt.Errorf("config file %s: %v", cfgFile, oneLine(err))
		}
		read = cfgFile
	} else if explicit || !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("config file: %v", err)
	}

	c := &Config{ConfigFile: read, UnknownKeys: unknownKeys(v.AllKeys())}
	c.VaultPath = v.GetString("vault")
	if c.VaultPath == "" {
		d, err := dataHome(env)
		if err != nil {
			return nil, err
		}
		c.VaultPath = filepath.Join(d, "mysafe", "vault.db")
	}
	c.VaultPath = expandHome(c.VaultPath, env)

	clear := v.GetString("clipboard.clear_after")
	d, err := parseDuration(clear)
	if err != nil {
		return nil, fmt.Errorf("clipboard.clear_after: %v", err)
	}
	c.ClipboardClearAfter = d

	if c.NoInput, err = parseBool("no_input", v.GetString("no_input")); err != nil {
		return nil, err
	}
	if c.SharedFiles, err = parseBool("allow_shared_files", v.GetString("allow_shared_files")); err != nil {
		return nil, err
	}
	c.IdentityFile = expandHome(v.GetString("identity_file"), env)
	if c.LockTimeout, err = parseDuration(v.GetString("lock_timeout")); err != nil {
		return nil, fmt.Errorf("lock_timeout: %v", err)
	}
	state, err := stateHome(env)
	if err != nil {
		return nil, err
	}
	c.StateDir = filepath.Join(state, "mysafe")
	if c.ImportMaxSize, err = ParseSize(v.GetString("import.max_size")); err != nil {
		return nil, fmt.Errorf("import.max_size: %v", err)
	}
	if s := v.GetString("token.timeout"); s != "" {
		if c.TokenTimeout, err = parseDuration(s); err == nil && c.TokenTimeout <= 0 {
			err = errors.New("must be more than 0")
		}
		if err != nil {
			return nil, fmt.Errorf("token.timeout: %v", err)
		}
	}
	mv := strings.TrimSpace(v.GetString("history.max_versions"))
	if c.HistoryMaxVersions, err = strconv.Atoi(mv); err != nil || c.HistoryMaxVersions < 0 || c.HistoryMaxVersions > MaxMaxVersions {
		return nil, fmt.Errorf("history.max_versions: %q is not a number from 0 to %d", mv, MaxMaxVersions)
	}
	return c, nil
}

// parseBool reads a yes/no setting.
func parseBool(key, s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	}
	return false, fmt.Errorf("%s: %q is not true or false", key, s)
}

// unknownKeys returns the keys that are no setting, sorted. Only the config
// file can bring one: defaults and environment variables are set by key
// from Keys.
func unknownKeys(all []string) []string {
	var out []string
	for _, k := range all {
		if !slices.Contains(Keys(), k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// readConfigFile reads the config file, refusing one larger than
// maxConfigFileLen as soon as it is seen to be.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return safefile.ReadLimited(f, maxConfigFileLen)
}

// sizeUnits are the suffixes ParseSize accepts, longest first.
var sizeUnits = []struct {
	suffix string
	n      int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}

// ParseSize reads a size in bytes: a whole number, optionally followed by
// B, K/KiB, M/MiB, G/GiB (powers of 1024) or KB, MB, GB (powers of 1000).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a size such as 64MiB or 1000000", s)
	}
	return n * mult, nil
}

// EnvName is the environment variable for a setting: MYSAFE_ and the key
// in upper case with dots as underscores (clipboard.clear_after ->
// MYSAFE_CLIPBOARD_CLEAR_AFTER).
func EnvName(key string) string {
	return "MYSAFE_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// parseDuration accepts Go durations ("45s", "2m") and plain seconds ("45").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return d, nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && fmt.Sprint(n) == s && n >= 0 && n <= int(math.MaxInt64/int64(time.Second)) {
		return time.Duration(n) * time.Second, nil
	}
	return 0, fmt.Errorf("%q is not a duration such as 45s or 2m", s)
}

// ParseDuration is the duration syntax used by settings and flags.
func ParseDuration(s string) (time.Duration, error) { return parseDuration(s) }

func expandHome(p string, env Env) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home := env("HOME"); home != "" {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
