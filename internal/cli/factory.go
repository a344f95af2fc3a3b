package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mysafe/mysafe/internal/agent"
	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/config"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/safefile"
	"github.com/mysafe/mysafe/internal/term"
	"github.com/mysafe/mysafe/internal/vault"
)

// Factory carries what commands need: streams, prompts, the environment, the
// clock and a way to open the vault. Main fills it from the real process;
// the test binary fills it the same way, with a lower scrypt work factor, a
// shorter lock timeout and, when a story asks, a fixed clock.
type Factory struct {
	IO *term.IOStreams
	// Prompter asks the person at the terminal; nil means term.Prompter on IO.
	Prompter Prompter
	Getenv   func(string) string
	Now      func() time.Time
	// Hostname names this host for the audit log; nil leaves it empty.
	Hostname func() (string, error)
	Version  string

	// ScryptWorkFactor is used for new passphrases; 0 means age's default.
	// Only tests lower it.
	ScryptWorkFactor int
	// LockTimeout is how long to wait for another mysafe process; 0 means
	// vault.DefaultLockTimeout.
	LockTimeout time.Duration
	// ClipboardHelper runs the detached clipboard clearer; nil means this
	// executable.
	ClipboardHelper []string
	// AgentCommand starts the unlock agent; nil means this executable with
	// agent.HelperArg.
	AgentCommand []string

	// ctx is cancelled by Ctrl-C; see MainWith and Context.
	ctx context.Context
	// childRunning is true while `exec` runs a command, which then owns
	// Ctrl-C.
	childRunning atomic.Bool

	// Verbose and Quiet are the global --verbose and --quiet: chatter is
	// shown when stderr is a terminal or with Verbose, never with Quiet.
	Verbose bool
	Quiet   bool

	cfg *config.Config
	// stateWarned is set once this command has warned that the rollback
	// guard's state folder cannot be used.
	stateWarned bool
	// identity is the vault identity once this command has unlocked the
	// vault, so that a command that opens it twice (ask first, write later)
	// asks once.
	identity string
}

// Prompter asks the person at the terminal. Every method fails with
// term.ErrNoTerminal when nobody can be asked (no terminal, or --no-input),
// so a command asks IO.CanPrompt first only to choose a better message.
// term.Prompter is the implementation.
type Prompter interface {
	// Secret asks for a value without echo.
	Secret(prompt string) ([]byte, error)
	// NewSecret asks twice without echo and fails unless both answers match
	// and are not empty.
	NewSecret(prompt, again string) ([]byte, error)
	// Line asks for one line with echo, trimmed of surrounding blanks.
	Line(prompt string) (string, error)
	// Confirm asks a yes/no question; only "y" or "yes" is yes.
	Confirm(prompt string) (bool, error)
}

// Unlock unlocks the vault now, before a command asks for anything else, so
// that a mistyped passphrase costs nothing typed after it. Later opens in
// the same command do not ask again.
func (f *Factory) Unlock() error {
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	return v.Close()
}

// Context returns the context of this run: MainWith cancels it on Ctrl-C.
// Work that waits on something outside mysafe (a network request) uses it.
func (f *Factory) Context() context.Context {
	if f.ctx == nil {
		return context.Background()
	}
	return f.ctx
}

// Config returns the configuration loaded before the command ran.
func (f *Factory) Config() *config.Config { return f.cfg }

// unlock sources, in the order they are tried.
const (
	envIdentity       = "MYSAFE_IDENTITY"
	envIdentityFile   = "MYSAFE_IDENTITY_FILE"
	envPassphraseFile = "MYSAFE_PASSPHRASE_FILE"
	envPassphrase     = "MYSAFE_PASSPHRASE"
)

var errNoUnlockSource = fmt.Errorf("%w: cannot ask for the passphrase (no terminal, or --no-input) and no other unlock source is set", errLocked)

// stateHint says how to give the rollback guard its folder back.
const stateHint = "mysafe keeps it under $XDG_STATE_HOME/mysafe (default ~/.local/state/mysafe): make that a writable folder, or point XDG_STATE_HOME at one"

const unlockHint = "set MYSAFE_PASSPHRASE_FILE or MYSAFE_PASSPHRASE, or MYSAFE_IDENTITY / MYSAFE_IDENTITY_FILE (from `mysafe identity export`)"

func (f *Factory) vaultOptions(readOnly bool) vault.Options {
	return f.vaultOptionsFor(readOnly, false)
}

// vaultOptionsFor is vaultOptions for a command that reads every record
// (whole) or not.
func (f *Factory) vaultOptionsFor(readOnly, whole bool) vault.Options {
	timeout := f.LockTimeout
	if timeout == 0 {
		timeout = f.cfg.LockTimeout
	}
	maxVersions := f.cfg.HistoryMaxVersions
	if maxVersions == 0 {
		maxVersions = -1 // none kept
	}
	host := ""
	if f.Hostname != nil {
		host, _ = f.Hostname()
	}
	return vault.Options{ReadOnly: readOnly, WholeFile: whole, LockTimeout: timeout, Now: f.Now, StateDir: f.cfg.StateDir,
		SharedFile:  f.cfg.SharedFiles,
		MaxVersions: maxVersions, Actor: audit.DetectActor(f.Getenv, host),
		Warn: func(err error) { f.warnState("", err) }}
}

// OpenVault opens the configured vault and unlocks it. readOnly takes a
// shared lock, so several readers can run at once. For writing, the vault
// is unlocked (scrypt takes about a second) under the shared lock, and the
// exclusive lock is taken only then, so writers do not queue behind each
// other's key derivation.
func (f *Factory) OpenVault(readOnly bool) (*vault.Vault, error) {
	return f.openVault(readOnly, false)
}

// openVault is OpenVault, for a command that reads every record (whole)
// or not.
func (f *Factory) openVault(readOnly, whole bool) (*vault.Vault, error) {
	v, err := vault.Open(f.cfg.VaultPath, f.vaultOptionsFor(true, whole && readOnly))
	if err != nil {
		return nil, err
	}
	if f.identity == "" || v.UnlockWithIdentity(f.identity) != nil {
		if err := f.unlock(v); err != nil {
			v.Close()
			return nil, err
		}
	}
	if old := v.UpgradedFrom(); old != "" {
		f.notice("mysafe: note: upgraded the vault to format 2; the previous file is kept at %s until `mysafe check` confirms the upgrade", old)
	}
	if !readOnly {
		if err := v.Reopen(false); err != nil {
			v.Close()
			return nil, err
		}
	}
	f.identity = v.Identity()
	return v, nil
}

// errUnchanged, returned from an Update function, ends the transaction
// without writing anything (not even bbolt's own bookkeeping), and Update
// reports success.
var errUnchanged = errors.New("nothing to change")

// View opens and unlocks the vault with a shared lock, runs fn in a
// read-only transaction and closes the vault.
func (f *Factory) View(fn func(tx *vault.Tx) error) error {
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	defer v.Close()
	return v.View(fn)
}

// ViewWhole is View for a command that reads every record (a listing),
// which costs less with the vault mapped into memory in one step.
func (f *Factory) ViewWhole(fn func(tx *vault.Tx) error) error {
	v, err := f.openVault(true, true)
	if err != nil {
		return err
	}
	defer v.Close()
	return v.View(fn)
}

// Update opens and unlocks the vault for writing, runs fn in one
// transaction and closes the vault. Nothing is written if fn fails.
func (f *Factory) Update(fn func(tx *vault.Tx) error) error {
	v, err := f.OpenVault(false)
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Update(fn); err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	return nil
}

// OpenLocked opens the vault without unlocking it (for public keys).
func (f *Factory) OpenLocked() (*vault.Vault, error) {
	return vault.Open(f.cfg.VaultPath, f.vaultOptions(true))
}

// passphraseTries is how often a person at the terminal may type the
// passphrase before the command gives up.
const passphraseTries = 3

// unlock tries, in order: MYSAFE_IDENTITY, MYSAFE_IDENTITY_FILE (or the
// identity_file setting), MYSAFE_PASSPHRASE_FILE, MYSAFE_PASSPHRASE, the
// agent of `mysafe unlock`, and a prompt on the terminal. A source that is
// set but wrong is an error: mysafe does not fall through to the next one, so
// a script never ends up waiting on a prompt because its key was stale. The
// explicit sources come before the agent so that a script's own key always
// decides; the agent is not a source anyone sets, so when it is gone or holds
// another vault's key, mysafe goes on to the prompt.
func (f *Factory) unlock(v *vault.Vault) error {
	if id := f.Getenv(envIdentity); id != "" {
		return lockedErr(v.UnlockWithIdentity(id), envIdentity)
	}
	idFile := f.Getenv(envIdentityFile)
	if idFile == "" {
		idFile = f.cfg.IdentityFile
	}
	if idFile != "" {
		id, err := readKeyFile(idFile, f.cfg.SharedFiles)
		if err != nil {
			return unlockSourceErr("identity file", err)
		}
		return lockedErr(v.UnlockWithIdentity(id), envIdentityFile)
	}
	if p, err := f.passphraseFromEnv(); err != nil || p != nil {
		if err != nil {
			return err
		}
		err := v.UnlockWithPassphrase(p)
		if h := encodingHint(p); h != "" && errors.Is(err, vault.ErrLocked) {
			return withHint(errLocked, err, h)
		}
		return lockedErr(err, "the passphrase")
	}
	if id := f.agentIdentity(v.Path()); id != "" && v.UnlockWithIdentity(id) == nil {
		return nil
	}
	if !f.IO.CanPrompt() {
		return withHint(errLocked, errNoUnlockSource, unlockHint)
	}
	for try := 1; ; try++ {
		p, err := f.Prompter.Secret("Passphrase for " + v.Path() + ": ")
		if err != nil {
			return err
		}
		err = v.UnlockWithPassphrase(p)
		if err == nil || !errors.Is(err, vault.ErrLocked) || try == passphraseTries {
			return lockedErr(err, "the passphrase")
		}
		f.notice("mysafe: wrong passphrase, try again (%d of %d)", try+1, passphraseTries)
	}
}

// agentClient returns the client of the agent for the vault at path.
func (f *Factory) agentClient(path string) (agent.Client, error) {
	sock, err := agent.SocketPath(f.Getenv, path)
	return agent.Client{Socket: sock}, err
}

// agentIdentity returns the identity the vault's agent holds, or "" when
// the vault is locked (no agent, or an agent that cannot be trusted).
func (f *Factory) agentIdentity(path string) string {
	c, err := f.agentClient(path)
	if err != nil {
		return ""
	}
	id, err := c.Identity()
	if err != nil {
		return ""
	}
	return id
}

func lockedErr(err error, source string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, vault.ErrLocked) {
		return withHint(errLocked, err, "check "+source)
	}
	return err
}

// passphraseFromEnv returns the passphrase from MYSAFE_PASSPHRASE_FILE or
// MYSAFE_PASSPHRASE, or nil when neither is set.
func (f *Factory) passphraseFromEnv() ([]byte, error) {
	if file := f.Getenv(envPassphraseFile); file != "" {
		fh, err := openUnlockSource(file, f.cfg.SharedFiles)
		if err != nil {
			return nil, unlockSourceErr("passphrase file", err)
		}
		defer fh.Close()
		p, err := term.ReadSecretLine(fh, maxPassphraseLen)
		if err != nil {
			return nil, withHint(errLocked, fmt.Errorf("passphrase file: %w", err), "")
		}
		if len(p) == 0 {
			return nil, withHint(errLocked, errors.New("passphrase file is empty"), "")
		}
		return p, nil
	}
	if p := f.Getenv(envPassphrase); p != "" {
		return []byte(p), nil
	}
	return nil, nil
}

// Limits on what mysafe reads from an unlock source. An age identity file
// holds a line or two of key and comments; a passphrase is a line.
const (
	maxIdentityFileLen = 64 << 10
	maxPassphraseLen   = 4096
)

// openUnlockSource opens a passphrase or identity file without ever
// waiting: a FIFO, a pipe or a device is refused at once (see
// safefile.OpenSource), since it may never end or never begin. A regular
// file must be private to the user (safefile.CheckPrivate; shared is the
// allow_shared_files setting).
func openUnlockSource(path string, shared bool) (*os.File, error) {
	fh, err := safefile.OpenSource(path)
	if err != nil {
		return nil, err
	}
	fi, err := fh.Stat()
	if err == nil && fi.Mode().IsRegular() {
		err = safefile.CheckPrivate(path, fi, shared)
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	return fh, nil
}

// unlockSourceErr explains a passphrase or identity file mysafe cannot use.
func unlockSourceErr(what string, err error) error {
	if errors.Is(err, safefile.ErrNotPrivate) {
		return fmt.Errorf("%s %w", what, err)
	}
	if errors.Is(err, safefile.ErrNotRegular) {
		return withHint(errLocked, fmt.Errorf("%s: %w", what, err), "give a regular file (mode 0600), or pass the value in MYSAFE_IDENTITY or MYSAFE_PASSPHRASE from your secret store")
	}
	return withHint(errLocked, fmt.Errorf("%s: %w", what, err), "")
}

// encodingHint explains a passphrase that was probably saved by an editor
// in another encoding: a UTF-8 byte order mark in front, or UTF-16 (a byte
// order mark of its own, or a zero byte in every other place).
func encodingHint(p []byte) string {
	switch {
	case bytes.HasPrefix(p, []byte("\xef\xbb\xbf")):
		return "the passphrase starts with a UTF-8 byte order mark (U+FEFF); save the file as UTF-8 without BOM"
	case bytes.HasPrefix(p, []byte("\xff\xfe")), bytes.HasPrefix(p, []byte("\xfe\xff")),
		len(p) >= 2 && (p[0] == 0 || p[1] == 0):
		return "the passphrase looks like UTF-16 text; save the file as UTF-8"
	}
	return ""
}

// readKeyFile returns the first non-comment line of an age identity file.
func readKeyFile(path string, shared bool) (string, error) {
	fh, err := openUnlockSource(path, shared)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	b, err := safefile.ReadLimited(fh, maxIdentityFileLen)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return line, nil
		}
	}
	return "", errors.New("no key in file")
}

// lockAgent makes an agent that holds this vault's identity forget it, as
// after rotate-keys: that identity no longer opens the vault, and it may be
// the very key that leaked.
func (f *Factory) lockAgent() {
	if was, err := agent.LockAll(f.Getenv, f.cfg.VaultPath); was && err == nil {
		f.chatter("The agent forgot the old key; `mysafe unlock` to unlock again.")
	}
}

// warnState warns, once per command, that the rollback guard's state
// folder cannot be used, after what (if not empty) was skipped for it.
// Like every warning it shows whatever the terminal.
func (f *Factory) warnState(what string, err error) {
	if f.stateWarned {
		return
	}
	f.stateWarned = true
	if what != "" {
		what += ": "
	}
	f.notice("mysafe: warning: %s%v (hint: %s)", what, err, stateHint)
}

// chatter tells a person what a command did ("API secret saved: ...").
// It goes to stderr, and only when stderr is a terminal or with --verbose;
// --quiet silences it. A script's stdout and stderr stay clean.
func (f *Factory) chatter(format string, a ...any) {
	if f.Quiet || !(f.IO.StderrTTY || f.Verbose) {
		return
	}
	fmt.Fprintln(f.IO.ErrOut, display.Safe(fmt.Sprintf(format, a...)))
}

// notice prints a warning or a note on stderr whatever the terminal and
// --quiet: something the user must know (a secret left in clear, a bundle
// nobody signed), not a report of success.
func (f *Factory) notice(format string, a ...any) {
	fmt.Fprintln(f.IO.ErrOut, display.Safe(fmt.Sprintf(format, a...)))
}

// agentErr explains an agent that refused to start or answer.
func agentErr(err error) error {
	switch {
	case errors.Is(err, agent.ErrUnsafeDir):
		return withHint(errNotPermitted, err, "the agent keeps its socket in $XDG_RUNTIME_DIR/mysafe (or $TMPDIR/mysafe-UID): make that folder yours with mode 700, in folders only you or root can write to (or sticky, as /tmp)")
	case errors.Is(err, agent.ErrPeer):
		return withHint(errNotPermitted, err, "remove the socket and run `mysafe unlock` again")
	case errors.Is(err, agent.ErrNoAnswer):
		return withHint(err, err, "it may be stopped or stuck and still hold the key; end its process (`pgrep -f "+agent.HelperArg+"`) to lock the vault")
	}
	return err
}

// rotatedNote ends what `mysafe rotate-keys` and `mysafe passwd` say once
// they rotated the vault's keys.
const rotatedNote = "Identities exported before no longer open the vault; export the new one with `mysafe identity export`."
