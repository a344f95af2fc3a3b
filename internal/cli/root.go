// Package cli wires mysafe's commands with cobra. Each command lives in its
// own file: it parses flags into an options struct and hands that to a run
// function that works on explicit inputs (streams, vault, clock).
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mysafe/mysafe/internal/agent"
	"github.com/mysafe/mysafe/internal/clipboard"
	"github.com/mysafe/mysafe/internal/config"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/term"
)

// Main runs mysafe with the process's arguments and streams and returns the
// exit code.
func Main(version string) int {
	// First, before any secret is read: no core file may hold one.
	disableCoreDumps()
	// mysafe runs for milliseconds and its heap is small; collecting garbage
	// less often makes listing a large vault markedly faster.
	debug.SetGCPercent(400)
	return MainWith(os.Args[1:], &Factory{IO: term.System(), Getenv: os.Getenv, Now: time.Now, Hostname: os.Hostname, Version: version})
}

// interruptGrace is how long a command has, after Ctrl-C, to restore the
// terminal and return before mysafe exits without it.
const interruptGrace = 2 * time.Second

// MainWith runs one command as Main does, with the inputs in f, and returns
// the exit code. It owns Ctrl-C (SIGINT) for the whole process: the first
// one cancels f.Context(), which ends a waiting prompt (the terminal is
// restored first) or a token request, and mysafe exits with
// ExitInterrupted once the command has returned, or after interruptGrace.
// While `mysafe exec` runs a command, Ctrl-C belongs to that command:
// mysafe waits for it and exits with its status. Nothing below this
// function installs a handler for SIGINT, and nothing calls os.Exit.
func MainWith(args []string, f *Factory) int {
	if isHelper(args) {
		return Run(args, f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.ctx = ctx
	if f.Prompter == nil {
		f.Prompter = term.Prompter{IO: f.IO, Interrupt: ctx.Done()}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	done := make(chan int, 1)
	go func() { done <- Run(args, f) }()
	for {
		select {
		case code := <-done:
			return code
		case <-sigs:
			if f.childRunning.Load() {
				continue
			}
			cancel()
			select {
			case code := <-done:
				if code == ExitOK {
					return code
				}
			case <-time.After(interruptGrace):
			}
			return ExitInterrupted
		}
	}
}

// isHelper reports whether args start one of the detached helpers that are
// this same program (the clipboard clearer, the agent).
func isHelper(args []string) bool {
	return len(args) == 1 && (args[0] == clipboard.HelperArg || args[0] == agent.HelperArg)
}

// Run runs one mysafe command with the arguments args (without the program
// name) and the process's inputs in f, and returns its exit code. Errors are
// printed as one line on stderr, prefixed "mysafe: ". A nil f.Prompter means
// prompts on f.IO's terminal.
func Run(args []string, f *Factory) int {
	// The clipboard clearer is this same program, started detached by
	// `reveal --copy`; it needs none of the command line.
	if len(args) == 1 && args[0] == clipboard.HelperArg {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		if err := clipboard.RunClearHelper(ctx, f.IO.In, clipboard.SystemEnv()); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	// The agent is this same program too, started detached by `unlock`.
	if len(args) == 1 && args[0] == agent.HelperArg {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
		defer stop()
		if err := agent.Run(ctx, f.IO.In, f.IO.Out); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	if f.Version == "" {
		f.Version = buildVersion()
	}
	if f.Prompter == nil {
		f.Prompter = term.Prompter{IO: f.IO}
	}
	root := newRootCmd(f, args)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ce *commandExit
	if errors.As(err, &ce) {
		return ce.code
	}
	if isCobraUsageError(err) {
		err = &exitError{class: errUsage, err: err, msg: plainFlagGroupMessage(err.Error()), hint: commandHint(root, err)}
	}
	fmt.Fprintln(f.IO.ErrOut, "mysafe: "+display.Safe(message(err)))
	return exitCode(err)
}

// isCobraUsageError recognises the errors cobra itself returns for unknown
// commands and bad arguments, which carry no type.
func isCobraUsageError(err error) bool {
	var ee *exitError
	if errors.As(err, &ee) {
		return false
	}
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "required flag", "if any flags in the group"} {
		if strings.HasPrefix(s, p) || strings.Contains(s, " "+p) {
			return true
		}
	}
	return false
}

// unknownCommandPattern matches cobra's message for a mistyped command.
// Like the other patterns, it is compiled when needed: compiling every
// pattern when mysafe starts would slow every command.
const unknownCommandPattern = `^unknown command "(.*)" for "(.*)"$`

// commandHint suggests the command a mistyped one was probably meant to be
// (cobra's own suggestions, within two edits or by prefix), and points at
// the help.
func commandHint(root *cobra.Command, err error) string {
	m := regexp.MustCompile(unknownCommandPattern).FindStringSubmatch(err.Error())
	if m == nil {
		return "see `mysafe --help`"
	}
	parent, _, ferr := root.Find(strings.Fields(m[2])[1:])
	if ferr != nil {
		parent = root
	}
	return didYouMean(suggestCommands(parent, m[1]), "") + "see `" + parent.CommandPath() + " --help`"
}

// suggestCommands lists the subcommands of c that typed was probably
// meant to be: within two edits, or starting with it.
func suggestCommands(c *cobra.Command, typed string) []string {
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	return c.SuggestionsFor(typed)
}

// didYouMean is "did you mean X? " for suggestions (each with prefix), or
// "" for none.
func didYouMean(suggestions []string, prefix string) string {
	if len(suggestions) == 0 {
		return ""
	}
	q := make([]string, len(suggestions))
	for i, s := range suggestions {
		q[i] = prefix + s
	}
	return "did you mean " + strings.Join(q, " or ") + "? "
}

// flagSuggestions lists the flags of cmd (its own and inherited) that an
// unknown --name was probably meant to be: within two edits, or starting
// with what was typed.
func flagSuggestions(cmd *cobra.Command, err error) []string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok || name == "" {
		return nil
	}
	var out []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if levenshtein.ComputeDistance(strings.ToLower(name), f.Name) <= 2 || (len(name) >= 3 && strings.HasPrefix(f.Name, name)) {
			out = append(out, f.Name)
		}
	})
	return out
}

// subcommandArgs is the Args of a command that only groups subcommands:
// anything given is an unknown command, with a suggestion.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return &exitError{class: errUsage, msg: fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath()),
		hint: didYouMean(suggestCommands(cmd, args[0]), "") + "see `" + cmd.CommandPath() + " --help`"}
}

// flagGroupPattern matches cobra's message for flags marked mutually exclusive.
const flagGroupPattern = `^if any flags in the group \[([^\]]*)\] are set none of the others can be; \[([^\]]*)\] were all set$`

// plainFlagGroupMessage says in plain words what cobra's flag-group message
// means; any other message is returned as it is.
func plainFlagGroupMessage(msg string) string {
	m := regexp.MustCompile(flagGroupPattern).FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	flags := strings.Fields(m[2])
	for i, f := range flags {
		flags[i] = "--" + f
	}
	return strings.Join(flags, " and ") + " cannot be used together"
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command { return newRootCmd(f, nil) }

// newRootCmd builds the command tree for the command line args: when
// args[0] names a command, the root with that command alone, which is all
// cobra needs to run it (its help, flags, errors and subcommands included);
// otherwise (help, completion, a flag first, a mistyped name) every command.
func newRootCmd(f *Factory, args []string) *cobra.Command {
	only := ""
	if len(args) > 0 {
		for _, c := range topCommands() {
			if slices.Contains(c.names, args[0]) {
				only = args[0]
			}
		}
	}
	root := &cobra.Command{
		Use:   "mysafe",
		Short: "A local, encrypted vault for API secrets",
		Long: `mysafe keeps API secrets (name, URL, client ID, client secret, identifier,
method, tags, notes) in one encrypted file, for people at a terminal and for
scripts in CI.`,
		Example:       "  mysafe init\n  mysafe add api-secret --name payments --url https://api.example.com --client-id app-1\n  mysafe reveal payments",
		Version:       f.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cmd.Root().PersistentFlags(), f.Getenv)
			if err != nil {
				return &exitError{class: errUsage, err: err}
			}
			f.cfg = cfg
			f.IO.NoInput = f.IO.NoInput || cfg.NoInput
			warnUnknownKeys(f, cfg)
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.String("vault", "", "vault file (default $XDG_DATA_HOME/mysafe/vault.db; env MYSAFE_VAULT)")
	pf.String("config", "", "config file (default $XDG_CONFIG_HOME/mysafe/config.yaml; env MYSAFE_CONFIG)")
	pf.Bool("no-input", false, "never prompt, even at a terminal (env MYSAFE_NO_INPUT)")
	pf.BoolVar(&f.Verbose, "verbose", false, "say what was done even when stderr is not a terminal")
	pf.BoolVarP(&f.Quiet, "quiet", "q", false, "do not say what was done; warnings and errors are still printed")
	root.MarkFlagsMutuallyExclusive("verbose", "quiet")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{class: errUsage, err: err, hint: didYouMean(flagSuggestions(c, err), "--") + "see `" + c.CommandPath() + " --help`"}
	})
	// Suggestions come as a hint on the one error line (commandHint), not
	// as cobra's extra lines.
	root.DisableSuggestions = true
	root.SetHelpCommand(newCmdHelp())

	for _, c := range topCommands() {
		if only == "" || slices.Contains(c.names, only) {
			root.AddCommand(c.build(f))
		}
	}
	if only == "" {
		registerCompletions(root, f)
	}
	return root
}

// topCommand is a command under the root: the name and aliases it answers
// to, and how to build it.
type topCommand struct {
	names []string
	build func(*Factory) *cobra.Command
}

// topCommands are mysafe's commands, in the order help lists them. A command
// line that names one builds that one alone (see newRootCmd): the whole tree,
// every command with its flags, costs every run a noticeable part of its
// start-up. TestTopCommandNames keeps the names here equal to the commands'.
func topCommands() []topCommand {
	return []topCommand{
		{[]string{"init"}, NewCmdInit},
		{[]string{"add"}, NewCmdAdd},
		{[]string{"list", "ls"}, NewCmdList},
		{[]string{"show"}, NewCmdShow},
		{[]string{"reveal"}, NewCmdReveal},
		{[]string{"token"}, NewCmdToken},
		{[]string{"edit"}, NewCmdEdit},
		{[]string{"tag"}, NewCmdTag},
		{[]string{"tags"}, NewCmdTags},
		{[]string{"rm", "remove", "delete"}, NewCmdRm},
		{[]string{"history"}, NewCmdHistory},
		{[]string{"restore"}, NewCmdRestore},
		{[]string{"log"}, NewCmdLog},
		{[]string{"passwd"}, NewCmdPasswd},
		{[]string{"rotate-keys"}, NewCmdRotateKeys},
		{[]string{"check"}, NewCmdCheck},
		{[]string{"backup"}, NewCmdBackup},
		{[]string{"identity"}, NewCmdIdentity},
		{[]string{"import"}, NewCmdImport},
		{[]string{"export"}, NewCmdExport},
		{[]string{"key"}, NewCmdKey},
		{[]string{"contact"}, NewCmdContact},
		{[]string{"share"}, NewCmdShare},
		{[]string{"revoke"}, NewCmdRevoke},
		{[]string{"team"}, NewCmdTeam},
		{[]string{"sync"}, NewCmdSync},
		{[]string{"version"}, NewCmdVersion},
		{[]string{"unlock"}, NewCmdUnlock},
		{[]string{"lock"}, NewCmdLock},
		{[]string{"status"}, NewCmdStatus},
		{[]string{"exec"}, NewCmdExec},
		{[]string{"inject"}, NewCmdInject},
	}
}

// warnUnknownKeys says, in one line, which keys of the config file are no
// setting: a misspelt key would otherwise be ignored without a word.
func warnUnknownKeys(f *Factory, cfg *config.Config) {
	if len(cfg.UnknownKeys) == 0 {
		return
	}
	quoted := make([]string, len(cfg.UnknownKeys))
	for i, k := range cfg.UnknownKeys {
		quoted[i] = strconv.Quote(k)
	}
	what := "setting"
	if len(quoted) > 1 {
		what = "settings"
	}
	f.notice("mysafe: warning: %s: unknown %s %s, ignored (known: %s)", cfg.ConfigFile, what,
		strings.Join(quoted, ", "), strings.Join(config.Keys(), ", "))
}

// exactArgs is cobra.ExactArgs with a usage error that names what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
			plural := "s"
			if len(args) == 1 {
				plural = ""
			}
			return usageErr(fmt.Sprintf("%s takes %s (got %d argument%s)", name, what, len(args), plural))
		}
		return nil
	}
}

// newCmdHelp replaces cobra's help command, which prints the usage and
// succeeds for a topic it does not know: here an unknown topic is a usage
// error (exit 2), like an unknown command.
func newCmdHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return &exitError{class: errUsage, msg: fmt.Sprintf("unknown help topic %q", strings.Join(args, " ")), hint: "see `mysafe --help`"}
			}
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	}
}
