package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
)

// readPassStore maps a pass or gopass store: every .gpg file (decrypted by
// o.Decrypt) and every .age file (decrypted with o.AgeIdentities) is one
// record named after its path in the store. The first line is the client
// secret; "key: value" lines after it are mapped by their keys (url,
// username, login, client_id, ...); other lines are the notes.
func readPassStore(dir string, o *Options) ([]*draft, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && path != dir && strings.HasPrefix(e.Name(), ".") {
			return filepath.SkipDir // .git, .extensions
		}
		if e.Type().IsRegular() && (strings.HasSuffix(path, ".gpg") || strings.HasSuffix(path, ".age")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, formatErr("%s holds no .gpg or .age files", dir)
	}
	out := make([]*draft, 0, len(files))
	for i, path := range files {
		rel, _ := filepath.Rel(dir, path)
		name := filepath.ToSlash(strings.TrimSuffix(strings.TrimSuffix(rel, ".gpg"), ".age"))
		var plain []byte
		if strings.HasSuffix(path, ".age") {
			plain, err = ageDecrypt(path, o.AgeIdentities)
		} else if o.Decrypt != nil {
			plain, err = o.Decrypt(path)
		} else {
			err = errors.New("no way to decrypt .gpg files")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		out = append(out, mapPassEntry(name, plain))
		clear(plain)
		if o.Progress != nil {
			o.Progress(i+1, len(files))
		}
	}
	return out, nil
}

// mapPassEntry maps one decrypted pass entry.
func mapPassEntry(name string, plain []byte) *draft {
	d := newDraft(name)
	d.rec.Name = name
	text := strings.ReplaceAll(string(plain), "\r\n", "\n")
	first, rest, _ := strings.Cut(text, "\n")
	d.rec.ClientSecret = secret.NewValue(first)
	var notes []string
	for _, line := range strings.Split(rest, "\n") {
		if line == "---" && len(notes) == 0 {
			continue // gopass separates the password from YAML with ---
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && k != "" && !strings.ContainsAny(k, " \t") && classify(k) != kindOther {
			d.field(k, strings.TrimSpace(v))
			continue
		}
		notes = append(notes, line)
	}
	d.rec.Notes = strings.TrimSpace(strings.Join(notes, "\n"))
	return d
}

// ageDecrypt decrypts one .age file of a gopass store.
func ageDecrypt(path string, ids []age.Identity) ([]byte, error) {
	if len(ids) == 0 {
		return nil, errors.New("an age identity is needed for .age files (give --age-identity FILE)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := age.Decrypt(f, ids...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, MaxFileSize))
}

// GPGDecrypt decrypts one file with the user's own gpg (the gpg on PATH,
// with its agent and keys), the way pass does. The plaintext stays in
// memory; gpg's own messages are returned in the error.
func GPGDecrypt(path string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command("gpg", "--quiet", "--yes", "--batch", "--decrypt", "--", path)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errors.New("gpg is not installed (pass stores are decrypted with gpg)")
		}
		msg := strings.Join(strings.Fields(errb.String()), " ")
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("gpg: %s", msg)
	}
	return out.Bytes(), nil
}
