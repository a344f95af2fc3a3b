//go:build linux

package cli_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCanary pushes a distinctive client secret, passphrase and vault
// identity through the commands that handle them (init, add from stdin and
// from a file, reveal, exec, inject, export, import, token, identity export,
// passwd) and looks for them where they must never be:
//
//   - the argv and the environment of every process mysafe starts, and of
//     mysafe itself, as the kernel saw them at execve: every command runs
//     under `strace -f -v -e trace=execve`, which records each one in full;
//     the one exception is the environment of the command `exec` runs, which
//     is where exec puts the secret on purpose;
//   - stderr of every command (where messages and errors go);
//   - every file left in the sandbox (home, TMPDIR, XDG_RUNTIME_DIR, the
//     state folder, the vault itself), except the export file and the
//     secret file the test wrote.
//
// What it cannot see: the memory of the processes (they are not dumpable,
// and the no-core-dump test covers crashes), data sent over the network to
// the token endpoint (the secret goes there by design), writes outside the
// sandbox (TMPDIR points into it; a file written to a fixed path elsewhere
// would be missed), and environment changes a process makes after execve
// (they reach no other process unless it execs, which strace sees).
func TestCanary(t *testing.T) {
	straceBin, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("strace is required in CI (apt-get install strace)")
		}
		t.Skip("strace not installed")
	}
	s := newSandbox(t)
	word := func(prefix string) string {
		b := make([]byte, 12)
		rand.Read(b)
		return prefix + hex.EncodeToString(b)
	}
	secret := word("canary-secret-")
	pass1, pass2 := word("canary-pass-"), word("canary-newpass-")
	canaries := map[string]string{"client secret": secret, "passphrase": pass1, "new passphrase": pass2}

	// The test binary runs as mysafe under the name mysafe (see TestMain).
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(s.dir, "bin")
	tmp := filepath.Join(s.dir, "tmp")
	runtimeDir := filepath.Join(s.dir, "run")
	for _, d := range []string{bin, tmp, runtimeDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(exe, filepath.Join(bin, "mysafe")); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(s.dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	passFile := write("pass.txt", pass1+"\n")
	newPassFile := write("newpass.txt", pass2+"\n")
	secretFile := write("secret.txt", secret+"\n")
	tpl := write("app.tpl", "key={{ mysafe://pay-file }}\n")
	exportFile := filepath.Join(s.dir, "export.json")

	// A token endpoint on this machine that accepts the canary secret.
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, sec, ok := r.BasicAuth()
		if !ok || id != "pay-app" || sec != secret {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-123","token_type":"bearer","expires_in":300}`)
	}))
	defer endpoint.Close()

	env := s.env("TMPDIR="+tmp, "XDG_RUNTIME_DIR="+runtimeDir, "MYSAFE_PASSPHRASE_FILE="+passFile)
	traces := 0
	var exported bool
	run := func(env []string, stdin string, args ...string) string {
		t.Helper()
		traces++
		trace := filepath.Join(s.dir, fmt.Sprintf("trace-%02d.txt", traces))
		cmd := exec.Command(straceBin, append([]string{"-f", "-qq", "-v", "-s", "1048576", "-e", "trace=execve", "-o", trace, "--", filepath.Join(bin, "mysafe")}, args...)...)
		cmd.Env, cmd.Dir = env, s.dir
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("mysafe %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
		}
		for what, c := range canaries {
			if strings.Contains(stderr.String(), c) {
				t.Errorf("mysafe %s: the %s is on stderr: %s", strings.Join(args, " "), what, stderr.String())
			}
		}
		checkExecs(t, trace, args, canaries)
		os.Remove(trace)
		return stdout.String()
	}

	run(env, "", "init", "--owner", "alice")
	identity := strings.TrimSpace(run(env, "", "identity", "export"))
	if !strings.HasPrefix(identity, "AGE-SECRET-KEY-1") {
		t.Fatalf("identity export printed %q", identity)
	}
	canaries["vault identity"] = identity
	add := []string{"add", "api-secret", "--url", "https://api.pay.example", "--client-id", "pay-app"}
	run(env, secret+"\n", append(add, "--name", "pay-stdin", "--identifier", "pay-stdin", "--client-secret-stdin")...)
	run(env, "", append(add, "--name", "pay-file", "--identifier", "pay-file", "--client-secret-file", secretFile,
		"--token-url", endpoint.URL+"/token")...)
	if got := run(env, "", "reveal", "pay-stdin"); strings.TrimSuffix(got, "\n") != secret {
		t.Fatalf("reveal printed %q", got)
	}
	// The command gets the secret in its environment (and checks it is
	// there), never in its arguments.
	run(env, "", "exec", "--env", "API_SECRET=mysafe://pay-file", "--", "sh", "-c", `case "$API_SECRET" in canary-secret-*) exit 0;; esac; exit 1`)
	if got := run(env, "", "inject", "--input", tpl); got != "key="+secret+"\n" {
		t.Fatalf("inject printed %q", got)
	}
	if got := run(env, "", "token", "pay-file"); got != "tok-123\n" {
		t.Fatalf("token printed %q", got)
	}
	run(env, "", "export", "-o", exportFile)
	exported = true
	run(env, "", "rm", "--yes", "pay-stdin")
	run(env, "", "rm", "--yes", "pay-file")
	run(env, "", "import", exportFile)
	run(env, "", "passwd", "--new-passphrase-file", newPassFile)
	env2 := s.env("TMPDIR="+tmp, "XDG_RUNTIME_DIR="+runtimeDir, "MYSAFE_PASSPHRASE_FILE="+newPassFile)
	var recs []struct {
		Identifier string `json:"identifier"`
	}
	if err := json.Unmarshal([]byte(run(env2, "", "list", "--json")), &recs); err != nil || len(recs) != 2 {
		t.Fatalf("after import and passwd: %v, %+v", err, recs)
	}
	if got := run(env2, "", "reveal", "pay-stdin"); strings.TrimSuffix(got, "\n") != secret {
		t.Fatalf("reveal after import printed %q", got)
	}

	// No file left anywhere in the sandbox holds a canary in the clear,
	// the vault included.
	expected := map[string]bool{passFile: true, newPassFile: true, secretFile: true}
	if exported {
		expected[exportFile] = true
	}
	files := 0
	filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || expected[path] {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("cannot read %s: %v", path, err)
			return nil
		}
		files++
		for what, c := range canaries {
			if bytes.Contains(b, []byte(c)) {
				t.Errorf("%s holds the %s", path, what)
			}
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("only %d files looked at; the vault at least should be there", files)
	}
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("left in TMPDIR: %s", e.Name())
	}
	t.Logf("%d commands traced, %d files scanned", traces, files)
}

// checkExecs reads an strace log of execve calls and fails the test for a
// canary in any argv, or in any environment but that of the command exec
// ran (sh, which gets the secret in its environment by design).
func checkExecs(t *testing.T, trace string, args []string, canaries map[string]string) {
	t.Helper()
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	execs := 0
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.Index(line, "execve(")
		if i < 0 {
			continue
		}
		execs++
		call := line[i:]
		argvEnd := closingBracket(call)
		if argvEnd < 0 {
			t.Fatalf("cannot parse the trace line %q", line)
		}
		argv, envp := call[:argvEnd], call[argvEnd:]
		shell := args[0] == "exec" && strings.Contains(argv, `["sh", "-c", `)
		for what, c := range canaries {
			if strings.Contains(argv, c) {
				t.Errorf("mysafe %s: the %s is in the argv of %s", strings.Join(args, " "), what, argv)
			}
			if strings.Contains(envp, c) && !(shell && what == "client secret") {
				t.Errorf("mysafe %s: the %s is in the environment of %s", strings.Join(args, " "), what, argv)
			}
		}
	}
	if execs == 0 {
		t.Fatalf("mysafe %s: no execve in the trace: strace saw nothing", strings.Join(args, " "))
	}
}

// closingBracket returns the index just past the "]" that closes the first
// array (argv) of an strace execve line, skipping quoted strings.
func closingBracket(s string) int {
	depth, quoted, escaped := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '[':
			depth++
		case c == ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}
