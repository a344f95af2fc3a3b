package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// RevealOptions are the inputs of `mysafe reveal`.
type RevealOptions struct {
	F         *Factory
	Ref       string
	Field     string
	NoNewline bool
}

// NewCmdReveal builds `mysafe reveal`.
func NewCmdReveal(f *Factory, runF func(*RevealOptions) error) *cobra.Command {
	opts := &RevealOptions{F: f}
	cmd := &cobra.Command{
		Use:   "reveal REF",
		Short: "Print an API secret's client secret (or another field)",
		Long: `Print the client secret of one API secret, or the field named by --field,
followed by a newline (none with -n). Records the time as the API secret's
last use. Piped, stdout carries exactly the value.`,
		Example: "  mysafe reveal payments-prod\n  TOKEN=$(mysafe reveal payments-prod -n)\n  mysafe reveal payments-prod --field client-id",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if runF != nil {
				return runF(opts)
			}
			return revealRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Field, "field", secret.FieldClientSecret, "field to reveal: client-secret, client-id, url, identifier, name, method or notes")
	cmd.Flags().BoolVarP(&opts.NoNewline, "no-newline", "n", false, "do not print a trailing newline")
	return cmd
}

// revealValue finds the record, reads the field and records the last use,
// in one transaction.
func revealValue(f *Factory, ref, field string) (*secret.Record, string, error) {
	if _, err := (&secret.Record{}).FieldValue(field); err != nil {
		return nil, "", err
	}
	v, err := f.OpenVault(false)
	if err != nil {
		return nil, "", err
	}
	defer v.Close()
	var r *secret.Record
	var value string
	err = v.Update(func(tx *vault.Tx) error {
		if r, err = tx.Find(ref); err != nil {
			return err
		}
		value, _ = r.FieldValue(field)
		if value == "" && (field == secret.FieldClientSecret || field == "secret") {
			return &exitError{class: errNotFound, msg: fmt.Sprintf("%s has no client secret", describe(r)),
				hint: "set one with `mysafe edit " + ref + " --client-secret-stdin`"}
		}
		r.LastUsedAt = tx.Now()
		return tx.Put(r)
	})
	return r, value, err
}

func revealRun(o *RevealOptions) error {
	_, value, err := revealValue(o.F, o.Ref, o.Field)
	if err != nil {
		return err
	}
	if o.NoNewline {
		_, err = fmt.Fprint(o.F.IO.Out, value)
	} else {
		_, err = fmt.Fprintln(o.F.IO.Out, value)
	}
	return err
}
