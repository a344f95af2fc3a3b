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

func generationFile(dir string, vaultID []byte) string {
	return filepath.Join(dir, "generations", hex.EncodeToString(vaultID))
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
		return 0, fmt.Errorf("rollback guard: %w", err)
	}
	return parseGeneration(b)
}

func parseGeneration(b []byte) (uint64, error) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("rollback guard: malformed state file")
	}
	return n, nil
}

// raiseGeneration records gen unless a higher generation is recorded.
func raiseGeneration(dir string, vaultID []byte, gen uint64) error {
	return updateGeneration(dir, vaultID, func(old uint64) uint64 { return max(old, gen) })
}

// updateGeneration changes the recorded generation under an exclusive
// lock on the state file, so concurrent mysafe processes never lower it.
// The number is written in place, padded to a fixed width, so a crash
// leaves the old or the new number.
func updateGeneration(dir string, vaultID []byte, change func(uint64) uint64) error {
	if dir == "" {
		return nil
	}
	path := generationFile(dir, vaultID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("rollback guard: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("rollback guard: %w", err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return fmt.Errorf("rollback guard: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return fmt.Errorf("rollback guard: %w", err)
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
		return fmt.Errorf("rollback guard: %w", err)
	}
	return nil
}
