package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/ref"
	"github.com/mysafe/mysafe/internal/safefile"
)

// InjectOptions are the inputs of `mysafe inject`.
type InjectOptions struct {
	F      *Factory
	Input  string // "-" is stdin
	Output string // "" or "-" is stdout
}

// NewCmdInject builds `mysafe inject`.
func NewCmdInject(f *Factory) *cobra.Command {
	opts := &InjectOptions{F: f}
	cmd := &cobra.Command{
		Use:   "inject -i TEMPLATE [-o OUT]",
		Short: "Fill a template's {{ mysafe://REF/field }} placeholders with values from the vault",
		Long: `Copy TEMPLATE to OUT (or stdout) with every {{ mysafe://REF/field }}
replaced by that field of that API secret (without /field: the client
secret). {{ mysafe://REF/token }} is an OAuth 2.0 access token fetched with
REF's client ID and secret, as ` + "`mysafe token REF`" + ` does
(mysafe://REF/token?scope=a+b&audience=URI asks for scopes and an audience).
Other {{ }} are left as they are.

The vault is unlocked once and every reference is looked up first: an
unknown one fails the command and nothing is written. OUT is written with
mode 0600, whole or not at all (a temporary file renamed over it), and is
replaced if it exists; it must not be a symbolic link.`,
		Example: "  mysafe inject -i config.yaml.tpl -o config.yaml\n  mysafe inject -i - < app.conf.tpl > app.conf",
		Args:    exactArgs(0, "no arguments (use -i and -o)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return injectRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Input, "input", "i", "", "template `FILE` (\"-\" for stdin)")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` (mode 0600) instead of stdout")
	cmd.MarkFlagRequired("input")
	return cmd
}

func injectRun(o *InjectOptions) error {
	f := o.F
	var data []byte
	var err error
	if o.Input == "-" {
		data, err = safefile.ReadLimited(f.IO.In, maxTemplateInput)
		if errors.Is(err, safefile.ErrTooLarge) {
			return usageErr(fmt.Sprintf("--input: stdin is larger than %d bytes", maxTemplateInput))
		}
	} else {
		data, err = readInputFile(o.Input, "--input", maxTemplateInput)
	}
	if err != nil {
		return err
	}
	tpl, err := ref.ParseTemplate(string(data))
	if err != nil {
		return usageErr(o.Input + ": " + err.Error())
	}
	values, uses, err := resolveRefs(f, tpl.Refs(), bundleSource{}, audit.Inject)
	if err != nil {
		return err
	}
	out, err := tpl.Execute(values)
	if err != nil {
		return err
	}
	if o.Output == "" || o.Output == "-" {
		if _, err = f.IO.Out.Write(out); err != nil {
			return err
		}
		return f.logUses(uses...)
	}
	pf, err := createPrivate(o.Output, true)
	if err != nil {
		return err
	}
	if _, err := pf.Write(out); err != nil {
		pf.Abort()
		return err
	}
	if err := pf.Commit(); err != nil {
		return err
	}
	return f.logUses(uses...)
}
