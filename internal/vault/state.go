package vault

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The rollback guard: for every vault it has opened, mysafe keeps the
// highest generation it has seen in a small file outside the vault,
// STATE_DIR/generations/VAULT-ID (0600, folders 0700). A vault whose root
// carries a lower generation is refused (RollbackError) until the user
// accepts it (AcceptRollback).
//
// When the state folder cannot be used (not writable, not a folder, on a
// read-only file system), a command that only reads still runs: it cannot
// check or record the generation, and the Vault says so once through
// Options.Warn. A command that writes is refused before it changes
// anything, with a *StateError: a vault that moves on while mysafe cannot
// remember how far would lose its rollback protection silently.

// StateError reports a state folder the rollback guard cannot use.
type StateError struct {
	Op      string // "check" or "record"
	Err     error
	Refused bool // a write was refused because of it, before anything changed
}

func (e *StateError) Error() string {
	s := fmt.Sprintf("rollback protection cannot %s the vault's generation: %v", e.Op, e.Err)
	if e.Refused {
		s += "; nothing was changed"
	}
	return s
}

func (e *StateError) Unwrap() error { return e.Err }

// stateErr wraps a failure to read (check) or write (record) the state.
func stateErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *StateError
	if errors.As(err, &se) {
		return err
	}
	return &StateError{Op: op, Err: err}
}

func generationFile(dir string, vaultID []byte) string {
	return filepath.Join(dir, "generations", hex.EncodeToString(vaultID))
}

// refused marks a *StateError as the reason a write was refused.
func refused(err error) error {
	var se *StateError
	if errors.As(err, &se) {
		c := *se
		c.Refused = true
		return &c
	}
	return err
}

// readGeneration returns the highest generation seen of a vault, 0 when
// none was recorded (or dir is empty).
func readGeneration(dir string, vaultID []byte) (uint64, error) {
	if dir == "" {
		return 0, nil
	}
	b, err := os.ReadFile(generationFile(dir, vaultID))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, stateErr("check", err)
	}
	n, err := parseGeneration(b)
	return n, stateErr("check", err)
}

func parseGeneration(b []byte) (uint64, error) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed state file")
	}
	return n, nil
}

// raiseGeneration records gen unless a higher generation is recorded.
func raiseGeneration(dir string, vaultID []byte, gen uint64) error {
	return updateGeneration(dir, vaultID, func(old uint64) uint64 { return max(old, gen) })
}

// probeGeneration checks, before a write, that the generation the write
// will reach can be recorded: the state folder exists or can be made, and
// the vault's state file can be opened for writing.
func probeGeneration(dir string, vaultID []byte) error {
	if dir == "" {
		return nil
	}
	path := generationFile(dir, vaultID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return stateErr("record", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return stateErr("record", err)
	}
	return f.Close()
}

// updateGeneration changes the recorded generation under an exclusive
// lock on the state file, so concurrent mysafe processes never lower it.
// The number is written in place, padded to a fixed width, so a crash
// leaves the old or the new number.
func updateGeneration(dir string, vaultID []byte, change func(uint64) uint64) error {
	return stateErr("record", updateGenerationFile(dir, vaultID, change))
}

func updateGenerationFile(dir string, vaultID []byte, change func(uint64) uint64) error {
	if dir == "" {
		return nil
	}
	path := generationFile(dir, vaultID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return err
	}
	old, err := parseGeneration(b)
	if err != nil {
		return err
	}
	gen := change(old)
	if gen == old && len(b) > 0 {
		return nil
	}
	// Not synced: a crash may cost the guard its last step or two, which
	// is not worth a disk flush on every command.
	if _, err := f.WriteAt([]byte(fmt.Sprintf("%020d\n", gen)), 0); err != nil {
		return err
	}
	return nil
}
