package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestCommitWritesWholeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "export.json")
	f, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("target exists before Commit: %v", err)
	}
	f.Write([]byte("complete"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "complete" {
		t.Fatalf("target = %q, %v", b, err)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 600", fi.Mode().Perm())
	}
	if got := names(t, dir); !slices.Equal(got, []string{"export.json"}) {
		t.Errorf("folder holds %q", got)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "out"), false)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("partial"))
	f.Abort()
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("folder holds %q after Abort", got)
	}
}

func TestExistingTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	os.WriteFile(path, []byte("old"), 0o600)
	if _, err := Create(path, false); !errors.Is(err, ErrExists) || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over an existing file = %v, want ErrExists", err)
	}
	// A file that appears while writing is not replaced without force.
	f, err := Create(filepath.Join(dir, "late"), false)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "late"), []byte("theirs"), 0o600)
	f.Write([]byte("mine"))
	if err := f.Commit(); !errors.Is(err, ErrExists) {
		t.Fatalf("Commit over a file that appeared = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "late")); string(b) != "theirs" {
		t.Errorf("late = %q, want theirs", b)
	}
	// With force the old content is replaced whole.
	f, err = Create(path, true)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("out = %q, want new", b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"late", "out"}) {
		t.Errorf("folder holds %q", got)
	}
}

func TestRefusesLinksAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err != nil {
		t.Skipf("no symbolic links: %v", err)
	}
	for _, force := range []bool{false, true} {
		if _, err := Create(link, force); !errors.Is(err, ErrSymlink) {
			t.Errorf("Create(symlink, force=%v) = %v", force, err)
		}
		if _, err := Create(dir, force); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Create(folder, force=%v) = %v", force, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "elsewhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a file was written through the link")
	}
}

func TestStaleTemporaryFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "export.json")
	// What a killed writer leaves, and names that are not ours.
	for _, n := range []string{".export.json.tmp-123", ".export.json.tmp-9", ".export.json.tmp-x1", ".other.json.tmp-1", "export.json.tmp-1", ".export.json.tmp-"} {
		os.WriteFile(filepath.Join(dir, n), []byte("half"), 0o600)
	}
	// A write in progress by another process (here: another open File).
	busy, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	got := names(t, dir)
	for _, gone := range []string{".export.json.tmp-123", ".export.json.tmp-9"} {
		if slices.Contains(got, gone) {
			t.Errorf("stale %s not removed", gone)
		}
	}
	want := []string{".export.json.tmp-", ".export.json.tmp-x1", ".other.json.tmp-1", "export.json.tmp-1"}
	for _, kept := range want {
		if !slices.Contains(got, kept) {
			t.Errorf("%s is not mysafe's and was removed", kept)
		}
	}
	if runtime.GOOS != "windows" && !slices.Contains(got, filepath.Base(busy.f.Name())) {
		t.Errorf("the temporary file of a write in progress was removed")
	}
	busy.Abort()
}

func TestIsTemp(t *testing.T) {
	for _, tc := range []struct {
		name, base string
		want       bool
	}{
		{".a.json.tmp-1234", "a.json", true},
		{".a.json.tmp-", "a.json", false},
		{".a.json.tmp-12a", "a.json", false},
		{"a.json.tmp-1", "a.json", false},
		{".b.json.tmp-1", "a.json", false},
		{".a.json.tmp-1.tmp-2", "a.json", false},
	} {
		if got := IsTemp(tc.name, tc.base); got != tc.want {
			t.Errorf("IsTemp(%q, %q) = %v", tc.name, tc.base, got)
		}
	}
}
