package gitrepo

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needGit skips a test without git, except in CI, where it fails.
func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("git is required in CI: %v", err)
		}
		t.Skip("git is not installed")
	}
}

// testRepo is a working copy with a bare remote, and the environment that
// keeps the user's git configuration out of the test.
func testRepo(t *testing.T) *Repo {
	t.Helper()
	needGit(t)
	dir := t.TempDir()
	env := []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=" + dir,
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
	remote := filepath.Join(dir, "remote.git")
	if _, err := (&Repo{Env: env}).run("", "init", "--quiet", "--bare", "--initial-branch="+Branch, remote); err != nil {
		t.Fatal(err)
	}
	r := &Repo{Dir: filepath.Join(dir, "work"), Env: env}
	if err := r.Init(remote); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCommitIgnoresGitignore(t *testing.T) {
	r := testRepo(t)
	// Whoever can push put a .gitignore that ignores everything.
	if err := r.WriteFile(".gitignore", []byte("*\n")); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile("records/u/1-x.bundle", []byte("data")); err != nil {
		t.Fatal(err)
	}
	ok, err := r.Commit("test")
	if err != nil || !ok {
		t.Fatalf("Commit = %v, %v; want a commit", ok, err)
	}
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, " ") != ".gitignore records/u/1-x.bundle" {
		t.Fatalf("committed %q; the ignored file was left out", files)
	}
}

func TestWriteFileNeverThroughALink(t *testing.T) {
	r := testRepo(t)
	outside := t.TempDir()
	victim := filepath.Join(outside, "vault.db")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := func(target, name string) {
		t.Helper()
		full := filepath.Join(r.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	// A folder of the repository is a link to a folder outside it: the
	// repository's own path, and an absolute one.
	link("../../"+filepath.Base(outside), "members")
	link(outside, "records/0123")
	// A file of the repository is a link to the user's vault.
	link(victim, "cards/alice.card")
	if err := os.MkdirAll(filepath.Join(r.Dir, "cards", "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, "plain"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{"members/alice.card", "records/0123/1-x.bundle", "plain/x"} {
		if err := r.WriteFile(p, []byte("card")); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("WriteFile(%q) = %v, want ErrUnsafePath", p, err)
		}
		if err := r.RemoveFile(p); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("RemoveFile(%q) = %v, want ErrUnsafePath", p, err)
		}
	}
	for _, p := range []string{"../x", "/etc/x", "a/../../x", "a//b", "./a", "", "a/"} {
		if err := r.WriteFile(p, []byte("card")); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("WriteFile(%q) = %v, want ErrUnsafePath", p, err)
		}
	}
	// A link where the file belongs is replaced, not followed.
	if err := r.WriteFile("cards/alice.card", []byte("card")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(r.Dir, "cards", "alice.card"))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cards/alice.card: %v, %v; want a 0600 file", fi, err)
	}
	// An empty folder where the file belongs is replaced too.
	if err := r.WriteFile("cards/sub", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "precious" {
		t.Fatalf("the file outside: %q, %v", b, err)
	}
	entries, err := os.ReadDir(outside)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outside holds %v, %v; want only vault.db", entries, err)
	}
	// New folders are 0700, files 0600.
	if err := r.WriteFile("records/abc/1-y.bundle", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(r.Dir, "records", "abc")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("records/abc: %v, %v; want 0700", fi, err)
	}
	if err := r.RemoveFile("records/abc/1-y.bundle"); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveFile("records/abc/1-y.bundle"); err != nil {
		t.Fatalf("removing a file not there: %v", err)
	}
}

func TestCheckRemote(t *testing.T) {
	for _, url := range []string{"/srv/team.git", "git@git.example.com:ops/secrets.git", "https://git.example.com/t.git", "file:///srv/t.git", "team.git"} {
		if err := CheckRemote(url); err != nil {
			t.Errorf("CheckRemote(%q) = %v", url, err)
		}
	}
	for _, url := range []string{"", "-mmain:x", "--upload-pack=touch x", "-", "a\nb", "a\x00b"} {
		if err := CheckRemote(url); err == nil {
			t.Errorf("CheckRemote(%q) accepted", url)
		}
	}
}
