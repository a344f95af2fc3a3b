package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/config"
	"github.com/mysafe/mysafe/internal/importer"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// Shell completion. Values that only the vault knows (REFs, tags, contacts)
// are offered only while the agent of `mysafe unlock` holds the key:
// completion never asks for a passphrase, never pays scrypt, and never falls
// back to file names. Fixed lists (fields, methods) are always offered.

// noCompletion offers nothing, not even file names.
func noCompletion() ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completionView runs fn on the vault if the agent has it unlocked; it
// reports false, having done nothing, otherwise.
func (f *Factory) completionView(cmd *cobra.Command, fn func(tx *vault.Tx) error) bool {
	cfg := f.cfg
	if cfg == nil {
		// Completion runs without the root command's PersistentPreRunE.
		c, err := config.Load(cmd.Root().PersistentFlags(), f.Getenv)
		if err != nil {
			return false
		}
		cfg = c
	}
	id := f.agentIdentity(cfg.VaultPath)
	if id == "" {
		return false
	}
	v, err := vault.Open(cfg.VaultPath, vault.Options{ReadOnly: true, LockTimeout: f.LockTimeout, Now: f.Now, SharedFile: cfg.SharedFiles})
	if err != nil {
		return false
	}
	defer v.Close()
	if v.UnlockWithIdentity(id) != nil {
		return false
	}
	return v.View(fn) == nil
}

// matching keeps the candidates that start with prefix, once each, sorted.
func matching(cands []string, prefix string) []string {
	var out []string
	for _, c := range cands {
		value, _, _ := strings.Cut(c, "\t")
		if strings.HasPrefix(value, prefix) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// refCandidates lists every identifier and name, each with a description.
func (f *Factory) refCandidates(cmd *cobra.Command, prefix string) []string {
	var cands []string
	f.completionView(cmd, func(tx *vault.Tx) error {
		// Records are read in place, without their client secrets: each
		// candidate is a new string.
		return tx.EachView(func(r *secret.Record) error {
			if r.Identifier != "" {
				cands = append(cands, r.Identifier+"\t"+oneLineDesc(r.Name))
			}
			if r.Name != r.Identifier && !strings.ContainsAny(r.Name, " \t") {
				cands = append(cands, r.Name+"\t"+oneLineDesc(r.URL))
			}
			return nil
		})
	})
	return matching(cands, prefix)
}

func oneLineDesc(s string) string { return strings.Join(strings.Fields(s), " ") }

// completeRefs completes the first n arguments as REFs (n < 0: all).
func (f *Factory) completeRefs(n int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if n >= 0 && len(args) >= n {
			return noCompletion()
		}
		return f.refCandidates(cmd, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func (f *Factory) completeTags(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var tags []string
	f.completionView(cmd, func(tx *vault.Tx) error {
		return tx.EachView(func(r *secret.Record) error {
			for _, t := range r.Tags {
				tags = append(tags, strings.Clone(t))
			}
			return nil
		})
	})
	return matching(tags, toComplete), cobra.ShellCompDirectiveNoFileComp
}

func (f *Factory) completeContacts(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var names []string
	f.completionView(cmd, func(tx *vault.Tx) error {
		cs, err := loadContacts(tx)
		for _, c := range cs {
			names = append(names, c.Name)
		}
		return err
	})
	return matching(names, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeEnv completes --env NAME=REF: the REF after the "=".
func (f *Factory) completeEnv(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	name, prefix, ok := strings.Cut(toComplete, "=")
	if !ok {
		return noCompletion()
	}
	cands := f.refCandidates(cmd, prefix)
	for i, c := range cands {
		cands[i] = name + "=" + c
	}
	return cands, cobra.ShellCompDirectiveNoFileComp
}

func fixedCompletion(values []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return matching(values, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// registerCompletions wires completion into the built command tree, so the
// commands' own files stay about their behaviour.
func registerCompletions(root *cobra.Command, f *Factory) {
	args := map[string]cobra.CompletionFunc{
		"mysafe show":       f.completeRefs(1),
		"mysafe reveal":     f.completeRefs(1),
		"mysafe edit":       f.completeRefs(1),
		"mysafe rm":         f.completeRefs(1),
		"mysafe share":      f.completeRefs(-1),
		"mysafe contact rm": f.completeContactsArg,
		"mysafe tag": func(cmd *cobra.Command, a []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(a) == 0 {
				return f.completeRefs(1)(cmd, a, toComplete)
			}
			return f.completeTags(cmd, a, toComplete)
		},
	}
	flags := map[string]cobra.CompletionFunc{
		"field":  fixedCompletion(secret.FieldNames()),
		"method": fixedCompletion(append(secret.Methods(), lower(secret.Methods())...)),
		"tag":    f.completeTags,
		"to":     f.completeContacts,
		"env":    f.completeEnv,
	}
	// Flags whose values differ from one command to another.
	commandFlags := map[string]map[string]cobra.CompletionFunc{
		"mysafe import": {"format": fixedCompletion(importFormatCandidates()), "resolve": fixedCompletion([]string{"theirs\ttake the bundle's version", "mine\tkeep yours"})},
		"mysafe export": {"format": fixedCompletion(exportFormats())},
		"mysafe share":  {"permission": fixedCompletion([]string{string(secret.PermView), string(secret.PermEdit)}), "revoke": f.completeRefs(-1), "from": f.completeContacts},
	}
	for _, path := range []string{"mysafe add api-secret", "mysafe edit", "mysafe token"} {
		commandFlags[path] = map[string]cobra.CompletionFunc{"token-auth": fixedCompletion([]string{secret.TokenAuthBasic, secret.TokenAuthForm})}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if fn, ok := args[c.CommandPath()]; ok {
			c.ValidArgsFunction = fn
		}
		for name, fn := range flags {
			if c.Flags().Lookup(name) != nil {
				c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		for name, fn := range commandFlags[c.CommandPath()] {
			c.RegisterFlagCompletionFunc(name, fn)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// importFormatCandidates are the values of `import --format`, each with
// what it reads.
func importFormatCandidates() []string {
	out := []string{formatJSON + "\tmysafe export (JSON)", formatCSV + "\tmysafe export (CSV)"}
	for _, f := range importer.Formats() {
		out = append(out, string(f)+"\t"+f.Describe())
	}
	return out
}

func (f *Factory) completeContactsArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return noCompletion()
	}
	return f.completeContacts(cmd, args, toComplete)
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}
