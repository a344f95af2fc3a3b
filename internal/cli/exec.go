package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/mask"
	"github.com/mysafe/mysafe/internal/ref"
)

// ExecOptions are the inputs of `mysafe exec`.
type ExecOptions struct {
	F       *Factory
	Env     []string // NAME=REF[/field]
	EnvFile string
	Mask    bool
	Command []string
	Bundle  bundleSource
}

// NewCmdExec builds `mysafe exec`.
func NewCmdExec(f *Factory) *cobra.Command {
	opts := &ExecOptions{F: f}
	cmd := &cobra.Command{
		Use:   "exec [--env NAME=REF[/field]]... [--env-file FILE] [--mask] -- COMMAND [ARGS...]",
		Short: "Run a command with API secrets in its environment",
		Long: `Run COMMAND with environment variables set to values from the vault:
--env NAME=REF sets NAME to the client secret of REF, NAME=REF/field to
another field (client-id, url, identifier, name, method, notes; the
mysafe:// prefix is optional), and NAME=REF/token to an OAuth 2.0 access
token fetched with REF's client ID and secret, as ` + "`mysafe token REF`" + ` does
(REF/token?scope=a+b&audience=URI asks for scopes and an audience).
--env-file reads a dotenv file whose values may be references
(mysafe://REF/field, mysafe://REF/token); --env wins over the file.

The vault is unlocked once, and every reference is looked up before COMMAND
starts: an unknown one fails the command with nothing run. COMMAND's stdin,
stdout and stderr are mysafe's, its exit status becomes mysafe's (128+N when
a signal N ended it), and SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 and SIGWINCH
are passed on to it (SIGINT and SIGQUIT too, unless stdin is a terminal,
which sends them to COMMAND itself). MYSAFE_PASSPHRASE and MYSAFE_IDENTITY
are removed from COMMAND's environment.

With --bundle FILE, the values come from a share bundle instead of a vault:
the bundle must be addressed to the age identity in MYSAFE_IDENTITY (or
MYSAFE_IDENTITY_FILE), which is then the job's own identity, not a vault's,
and signed by the person whose contact card --signer (or MYSAFE_SIGNER)
gives; unsigned bundles and bundles from anyone else are refused.
With --team-dir CHECKOUT, they come from a checkout of a team repository
instead: the newest revision of each API secret addressed to that identity
and signed by its owner, one of the members whose cards --signer
(repeatable) or MYSAFE_SIGNER (one a line) give (see docs/teams.md).

With --mask, any of the values that COMMAND prints, on stdout or stderr, is
replaced with "` + mask.Placeholder + `", also when it is printed in pieces.`,
		Example: `  mysafe exec --env TOKEN=payments -- ./deploy.sh
  mysafe exec --env API_URL=payments/url --env API_KEY=payments --mask -- curl -fsS "$API_URL"
  mysafe exec --env TOKEN=payments/token -- ./call-api.sh
  mysafe exec --env-file .env.mysafe -- npm start
  MYSAFE_IDENTITY=$CI_AGE_KEY mysafe exec --bundle deploy.age --signer "$ALICE_CARD" --env TOKEN=payments -- ./deploy.sh
  MYSAFE_IDENTITY=$CI_AGE_KEY mysafe exec --team-dir secrets --signer "$ALICE_CARD" --env TOKEN=payments -- ./deploy.sh`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("say which command to run: mysafe exec [flags] -- COMMAND [ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Command = args
			return execRun(opts)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringArrayVar(&opts.Env, "env", nil, "set `NAME=REF[/field]` in the command's environment (repeatable)")
	cmd.Flags().StringVar(&opts.EnvFile, "env-file", "", "read variables from a dotenv `FILE` whose values may be mysafe:// references")
	cmd.Flags().BoolVar(&opts.Mask, "mask", false, "replace the values in the command's output with "+mask.Placeholder)
	opts.Bundle.addFlags(cmd)
	return cmd
}

// envVars parses --env-file and --env, in that order, so --env wins.
func envVars(flags []string, file string) ([]ref.Var, error) {
	var vars []ref.Var
	if file != "" {
		data, err := readInputFile(file, "--env-file", maxTemplateInput)
		if err != nil {
			return nil, err
		}
		fv, err := ref.ParseDotenv(data)
		if err != nil {
			return nil, usageErr(file + ": " + err.Error())
		}
		vars = fv
	}
	for _, s := range flags {
		v, err := ref.ParseEnvFlag(s)
		if err != nil {
			return nil, usageErr(err.Error())
		}
		vars = append(vars, v)
	}
	return vars, nil
}

// childEnv is this process's environment less the variables that unlock
// the vault, plus vars.
func childEnv(vars []ref.Var, values map[ref.Ref]string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == envIdentity || name == envPassphrase
	})
	for _, v := range vars {
		value := v.Value
		if v.Ref != nil {
			value = values[*v.Ref]
		}
		env = append(env, v.Name+"="+value)
	}
	return env
}

func execRun(o *ExecOptions) error {
	f := o.F
	vars, err := envVars(o.Env, o.EnvFile)
	if err != nil {
		return err
	}
	path, err := exec.LookPath(o.Command[0])
	if err != nil {
		return &exitError{class: errNotFound, err: fmt.Errorf("cannot run %s: %w", o.Command[0], errors.Unwrap(err))}
	}
	var refs []ref.Ref
	for _, v := range vars {
		if v.Ref != nil {
			refs = append(refs, *v.Ref)
		}
	}
	values, uses, err := resolveRefs(f, refs, o.Bundle, audit.Exec)
	if err != nil {
		return err
	}
	// Recorded before the command starts: it has the values from then on.
	if err := f.logUses(uses...); err != nil {
		return err
	}

	cmd := exec.Command(path, o.Command[1:]...)
	cmd.Args[0] = o.Command[0]
	cmd.Env = childEnv(vars, values)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f.IO.In, f.IO.Out, f.IO.ErrOut
	var masks []*mask.Writer
	if o.Mask {
		secrets := make([]string, 0, len(values))
		for _, v := range values {
			secrets = append(secrets, v)
		}
		mo, me := mask.NewWriter(f.IO.Out, secrets), mask.NewWriter(f.IO.ErrOut, secrets)
		cmd.Stdout, cmd.Stderr, masks = mo, me, []*mask.Writer{mo, me}
	}
	f.childRunning.Store(true)
	defer f.childRunning.Store(false)
	return runChild(cmd, !f.IO.StdinTTY, masks)
}

// runChild runs cmd to its end, passing signals on, and returns its exit
// status as a *commandExit (nil for 0).
func runChild(cmd *exec.Cmd, forwardInterrupt bool, masks []*mask.Writer) error {
	sigs := make(chan os.Signal, 8)
	// Caught before the start, so a signal in between is not lost, and
	// never left to kill mysafe while the child runs on.
	signal.Notify(sigs, append(slices.Clone(forwarded), os.Interrupt, syscall.SIGQUIT)...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot run %s: %w", cmd.Args[0], err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if (s == os.Interrupt || s == syscall.SIGQUIT) && !forwardInterrupt {
					continue
				}
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	for _, m := range masks {
		m.Close()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		return &commandExit{code: code}
	}
	return err
}
