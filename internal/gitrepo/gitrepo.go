// Package gitrepo runs the user's own git binary on one working copy. It is
// not a git implementation: every operation is a `git` command with
// explicit arguments (never a shell), run with the user's environment, so
// their configuration, credentials, SSH agent and signing settings apply.
//
// Nothing secret is ever passed on git's command line: callers write files
// into the working copy and name them by path.
package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoGit means the git binary was not found on PATH.
var ErrNoGit = errors.New("git is not installed or not on PATH")

// ErrUnsafePath means a file could not be written or removed because a
// folder on its way, as the repository has it, is a symbolic link or not a
// folder: whoever can push chooses what the working copy holds, and
// nothing is written through a link.
var ErrUnsafePath = errors.New("not a folder in the working copy")

// ErrRejected means a push was refused because the remote moved on, even
// after fetching and rebasing the given number of times.
var ErrRejected = errors.New("the remote kept moving while pushing")

// Branch is the one branch a team repository uses.
const Branch = "main"

// remoteRef is where fetch keeps the remote's branch.
const remoteRef = "refs/remotes/origin/" + Branch

// Repo is a working copy at Dir.
type Repo struct {
	Dir string
	// Env is added to the process environment of every git command, after
	// it, so it wins.
	Env []string
}

// Error is a git command that failed: its arguments and what it printed.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.Join(strings.Fields(e.Stderr), " ")
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", e.Args[0], msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs git with args in the working copy and returns its stdout.
func (r *Repo) Run(args ...string) ([]byte, error) {
	return r.run(r.Dir, args...)
}

func (r *Repo) run(dir string, args ...string) ([]byte, error) {
	path, err := exec.LookPath("git")
	if err != nil {
		return nil, ErrNoGit
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = append(environ(), r.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &Error{Args: args, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// repoVars point git at a repository other than the working copy's own;
// git sets them for its hooks, and a mysafe run from a hook must not
// inherit them.
var repoVars = []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_NAMESPACE"}

// environ is the process environment without repoVars.
func environ() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(repoVars, name)
	})
}

// exitCode returns the exit status of a failed git command, or -1.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// quietReceivePack is the receive-pack command for a remote in a folder:
// it runs none of the repository's hooks, nor the command its
// configuration may name for listing an alternate's references.
const quietReceivePack = "git -c core.hooksPath=/dev/null -c core.alternateRefsCommand=true receive-pack"

// localRemote reports whether origin is a folder on this machine, whose
// receive-pack runs as the user.
func (r *Repo) localRemote() bool {
	out, err := r.Run("remote", "get-url", "origin")
	if err != nil {
		return false
	}
	url := strings.TrimSpace(string(out))
	return filepath.IsAbs(url) || strings.HasPrefix(url, "file://")
}

// InitBare creates an empty bare repository at dir, for a team that keeps
// its repository in a shared folder.
func InitBare(dir string) error {
	r := &Repo{}
	_, err := r.run("", "init", "--quiet", "--bare", "--initial-branch="+Branch, dir)
	return err
}

// Init makes r.Dir a working copy whose origin is url, without fetching.
func (r *Repo) Init(url string) error {
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return err
	}
	if _, err := r.Run("init", "--quiet", "--initial-branch="+Branch); err != nil {
		return err
	}
	_, err := r.Run("remote", "add", "--", "origin", url)
	return err
}

// CheckRemote returns an error unless url can name a remote: git would
// take one starting with '-' as an option of its own.
func CheckRemote(url string) error {
	if url == "" || strings.HasPrefix(url, "-") || strings.ContainsAny(url, "\x00\n\r") {
		return fmt.Errorf("invalid team repository %q: give a folder, or a URL git accepts, not starting with '-'", url)
	}
	return nil
}

// Fetch fetches the remote's branch, and returns the commit it points to,
// or "" when the remote has no commit yet.
func (r *Repo) Fetch() (string, error) {
	if _, err := r.Run("fetch", "--quiet", "--prune", "origin"); err != nil {
		return "", err
	}
	return r.RemoteHead()
}

// RemoteHead returns the commit of the remote's branch as last fetched, or
// "" when it has none.
func (r *Repo) RemoteHead() (string, error) {
	out, err := r.Run("rev-parse", "--verify", "--quiet", remoteRef+"^{commit}")
	if err != nil {
		if exitCode(err) == 1 {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Head returns the working copy's current commit, or "" when it has none.
func (r *Repo) Head() (string, error) {
	out, err := r.Run("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
	if err != nil {
		if exitCode(err) == 1 {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// neutralAttributes turn off, for every path, the attributes with which a
// .gitattributes in the repository would make git change a file's content
// between the repository and the working copy (line endings, filters,
// encodings, keyword expansion). The working copy's own attributes file
// takes precedence over the repository's.
const neutralAttributes = "* -text -eol -filter -ident -working-tree-encoding\n"

// ResetToRemote makes the working copy exactly the remote's branch as last
// fetched: local commits, changes and untracked files are dropped. With an
// empty remote, the branch is unborn and the working copy empty. Every
// file is checked out byte for byte as the repository holds it, whatever
// a .gitattributes in it says, and Commit stores files the same way.
func (r *Repo) ResetToRemote() error {
	head, err := r.RemoteHead()
	if err != nil {
		return err
	}
	out, err := r.Run("rev-parse", "--git-path", "info/attributes")
	if err != nil {
		return err
	}
	attrs := strings.TrimSpace(string(out))
	if !filepath.IsAbs(attrs) {
		attrs = filepath.Join(r.Dir, attrs)
	}
	if err := os.MkdirAll(filepath.Dir(attrs), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(attrs, []byte(neutralAttributes), 0o600); err != nil {
		return err
	}
	if head == "" {
		if _, err := r.Run("symbolic-ref", "HEAD", "refs/heads/"+Branch); err != nil {
			return err
		}
		if _, err := r.Run("update-ref", "-d", "refs/heads/"+Branch); err != nil {
			return err
		}
		if _, err := r.Run("read-tree", "--empty"); err != nil {
			return err
		}
	} else if _, err := r.Run("checkout", "--quiet", "--force", "-B", Branch, remoteRef); err != nil {
		return err
	}
	_, err = r.Run("clean", "--quiet", "-d", "--force", "-x")
	return err
}

// IsAncestor reports whether commit old is an ancestor of (or equal to)
// commit new. A commit the working copy does not have is no ancestor.
func (r *Repo) IsAncestor(old, new string) (bool, error) {
	_, err := r.Run("merge-base", "--is-ancestor", old, new)
	switch code := exitCode(err); {
	case err == nil:
		return true, nil
	case code == 1:
		return false, nil
	case code == 128:
		// Not a commit this copy knows: history was replaced.
		return false, nil
	}
	return false, err
}

// Files lists the paths of the files in the working copy's commit.
func (r *Repo) Files() ([]string, error) {
	head, err := r.Head()
	if err != nil || head == "" {
		return nil, err
	}
	out, err := r.Run("ls-tree", "-r", "-z", "--name-only", head)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			files = append(files, string(p))
		}
	}
	return files, nil
}

// Commit stages every change in the working copy and commits it with
// message. It reports false, committing nothing, when there was no change.
// A .gitignore in the repository does not leave files out: whoever can
// push could otherwise keep every new file from being committed.
func (r *Repo) Commit(message string) (bool, error) {
	if _, err := r.Run("add", "--all", "--force", "--", "."); err != nil {
		return false, err
	}
	_, err := r.Run("diff", "--cached", "--quiet")
	if err == nil {
		return false, nil
	}
	if exitCode(err) != 1 {
		return false, err
	}
	if _, err := r.Run("commit", "--quiet", "--message", message); err != nil {
		return false, err
	}
	return true, nil
}

// Push pushes the working copy's commit to the remote's branch. When the
// remote moved on meanwhile, it fetches, rebases the local commits onto the
// remote's (they only add files, so they never conflict) and tries again,
// up to tries times in all; then it returns an error wrapping ErrRejected.
// onRetry, if not nil, is called before each retry.
func (r *Repo) Push(tries int, onRetry func(attempt int)) error {
	args := []string{"push", "--quiet"}
	if r.localRemote() {
		// git runs the hooks of a repository in a folder as the user who
		// pushes, and anyone who can write the folder can put one there.
		args = append(args, "--receive-pack="+quietReceivePack)
	}
	args = append(args, "origin", "HEAD:refs/heads/"+Branch)
	for attempt := 1; ; attempt++ {
		_, err := r.Run(args...)
		if err == nil {
			return nil
		}
		// Tell a rejection from any other failure by what the remote holds
		// now, not by git's (translated) messages.
		remote, ferr := r.Fetch()
		if ferr != nil {
			return err
		}
		head, herr := r.Head()
		if herr != nil {
			return err
		}
		if remote == "" {
			return err
		}
		if ok, aerr := r.IsAncestor(remote, head); aerr != nil || ok {
			return err
		}
		if attempt >= tries {
			return fmt.Errorf("%w (%d attempts)", ErrRejected, attempt)
		}
		if onRetry != nil {
			onRetry(attempt)
		}
		if _, rerr := r.Run("rebase", "--quiet", remoteRef); rerr != nil {
			r.Run("rebase", "--abort")
			return rerr
		}
	}
}

// WriteFile writes data to the file at p, a slash-separated path inside
// the working copy, as 0600, creating the folders it lacks as 0700. It
// never writes through a symbolic link and never outside the working copy:
// a link, special file or folder at p is replaced by the file (a folder
// only when empty), and a folder on the way that is a link or a file is
// an error wrapping ErrUnsafePath.
func (r *Repo) WriteFile(p string, data []byte) error {
	root, name, err := r.open(p, true)
	if err != nil {
		return err
	}
	defer root.Close()
	if fi, err := root.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// RemoveFile removes the file (or link) at p, a slash-separated path
// inside the working copy; one that is not there is no error. Like
// WriteFile, it never follows a link on the way.
func (r *Repo) RemoveFile(p string) error {
	root, name, err := r.open(p, false)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// open returns the working copy as an os.Root, and p's name in it, after
// checking each folder on p's way is a real folder (created when create is
// true).
func (r *Repo) open(p string, create bool) (*os.Root, string, error) {
	if !filepath.IsLocal(filepath.FromSlash(p)) || path.Clean(p) != p {
		return nil, "", fmt.Errorf("%s: %w", p, ErrUnsafePath)
	}
	root, err := os.OpenRoot(r.Dir)
	if err != nil {
		return nil, "", err
	}
	parts := strings.Split(p, "/")
	for i := 1; i < len(parts); i++ {
		dir := strings.Join(parts[:i], "/")
		fi, err := root.Lstat(dir)
		switch {
		case errors.Is(err, os.ErrNotExist) && create:
			err = root.Mkdir(dir, 0o700)
		case err == nil && !fi.IsDir():
			err = fmt.Errorf("%s is a link or a file, %w", dir, ErrUnsafePath)
		}
		if err != nil {
			root.Close()
			return nil, "", err
		}
	}
	return root, p, nil
}
