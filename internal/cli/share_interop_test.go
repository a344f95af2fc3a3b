package cli_test

import (
	"os"
	"os/exec"
	"testing"
)

// TestScriptShareTools makes the age interop scripts (share_age_cli.txtar,
// share_handmade.txtar) impossible to skip in CI. Those scripts need the age
// and OpenSSH tools and skip when they are missing, which is right on a
// developer's machine. But a script cannot tell whether it runs in CI:
// testscript gives it a fixed environment, without CI, and has no condition
// for environment variables. So this test does it: with CI=true, a missing
// tool is a failure, as in internal/share's interop tests.
//
// The name starts with TestScript and the subtests with share_ so that
// `go test -run 'TestScript/share'` runs it together with the scripts.
func TestScriptShareTools(t *testing.T) {
	const hint = "install age and openssh-client (Debian: apt-get install age openssh-client)"
	for _, tool := range []string{"age", "age-keygen", "ssh-keygen"} {
		t.Run("share_tools_"+tool, func(t *testing.T) {
			if _, err := exec.LookPath(tool); err == nil {
				return
			}
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not on PATH and CI=true: the share interop scripts would be skipped; %s", tool, hint)
			}
			t.Skipf("%s is not on PATH, so the share interop scripts skip; %s to run them", tool, hint)
		})
	}
}
