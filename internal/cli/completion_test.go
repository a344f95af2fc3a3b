package cli_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/cli"
	"github.com/mysafe/mysafe/internal/importer"
	"github.com/mysafe/mysafe/internal/term"
)

// runMysafe runs mysafe in this process with no terminal and returns its
// exit code, stdout and stderr.
func runMysafe(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	home := t.TempDir()
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "HOME" {
			return home
		}
		return ""
	}
	code := cli.Run(args, &cli.Factory{IO: &term.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv: getenv, Now: time.Now, Version: "test"})
	return code, out.String(), errOut.String()
}

// TestCompletion drives cobra's hidden __complete command, which every
// shell's completion script calls.
func TestCompletion(t *testing.T) {
	code, out, errOut := runMysafe(t, nil, "__complete", "")
	if code != 0 {
		t.Fatalf("__complete: exit %d, %s", code, errOut)
	}
	for _, c := range []string{"import", "export", "reveal", "completion", "share", "contact"} {
		if !strings.Contains(out, "\n"+c+"\t") && !strings.HasPrefix(out, c+"\t") {
			t.Errorf("__complete does not offer %q:\n%s", c, out)
		}
	}
	_, out, _ = runMysafe(t, nil, "__complete", "import", "--")
	for _, fl := range []string{"--dry-run", "--skip-invalid", "--url", "--client-id", "--kdbx-password-file", "--format"} {
		if !strings.Contains(out, fl+"\t") {
			t.Errorf("__complete import -- does not offer %s:\n%s", fl, out)
		}
	}

	// The completion command is listed in help, and writes each shell's script.
	_, out, _ = runMysafe(t, nil, "--help")
	if !strings.Contains(out, "\n  completion ") {
		t.Errorf("help does not list completion:\n%s", out)
	}
	for shell, marker := range map[string]string{"bash": "__start_mysafe", "zsh": "#compdef mysafe", "fish": "complete -c mysafe", "powershell": "Register-ArgumentCompleter"} {
		code, out, errOut := runMysafe(t, nil, "completion", shell)
		if code != 0 || !strings.Contains(out, marker) {
			t.Errorf("completion %s: exit %d, no %q in its script; stderr %s", shell, code, marker, errOut)
		}
	}
}

// Flags that take one of a few values complete those values, with no file
// names mixed in (":4" is cobra's ShellCompDirectiveNoFileComp).
func TestCompletionOfEnumFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // exact candidate lines, in order
	}{
		{[]string{"import", "--format", "b"}, []string{"bitwarden-csv\tBitwarden CSV", "bitwarden-json\tBitwarden JSON"}},
		{[]string{"import", "--format", "j"}, []string{"json\tmysafe export (JSON)"}},
		{[]string{"import", "--format", "k"}, []string{"kdbx\tKeePass database", "keepass-xml\tKeePass XML", "keepassxc-csv\tKeePassXC CSV"}},
		{[]string{"export", "--format", ""}, []string{"csv", "dotenv", "json"}},
		{[]string{"import", "--resolve", ""}, []string{"mine\tkeep yours", "theirs\ttake the bundle's version"}},
		{[]string{"share", "x", "--permission", ""}, []string{"edit", "view"}},
		{[]string{"add", "api-secret", "--token-auth", ""}, []string{"basic", "form"}},
		{[]string{"token", "x", "--token-auth", "f"}, []string{"form"}},
		{[]string{"reveal", "x", "--field", "client-"}, []string{"client-id", "client-secret"}},
	} {
		code, out, errOut := runMysafe(t, nil, append([]string{"__complete"}, tc.args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d, %s", tc.args, code, errOut)
			continue
		}
		want := strings.Join(tc.want, "\n") + "\n:4\n"
		if out != want {
			t.Errorf("__complete %q:\n%s\nwant:\n%s", tc.args, out, want)
		}
	}
	// Every format import accepts is offered.
	_, out, _ := runMysafe(t, nil, "__complete", "import", "--format", "")
	for _, f := range append([]importer.Format{"json", "csv"}, importer.Formats()...) {
		if !strings.Contains(out, "\n"+string(f)+"\t") && !strings.HasPrefix(out, string(f)+"\t") {
			t.Errorf("import --format does not offer %s:\n%s", f, out)
		}
	}
}
