package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// ImportOptions are the inputs of `mysafe import`.
type ImportOptions struct {
	F      *Factory
	File   string
	Format string
	// Share-bundle options.
	AllowUnsigned bool
	Yes           bool
	Resolve       string // "", "theirs" or "mine"
}

// NewCmdImport builds `mysafe import`.
func NewCmdImport(f *Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{F: f}
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import API secrets from a JSON or CSV file, or a share bundle",
		Long: `Import API secrets. With --format json or csv, FILE ("-" for stdin) holds
records in the form ` + "`mysafe export`" + ` writes; the import is all or nothing:
one invalid entry or one identifier already in use and nothing is written.
Without --format, FILE may be a share bundle from ` + "`mysafe share`" + ` or a
JSON array.`,
		Example: "  mysafe import --format csv secrets.csv\n  mysafe import --format json - < secrets.json",
		Args:    exactArgs(1, "one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return importRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "", "file format: json or csv (default: detect JSON and share bundles)")
	cmd.Flags().BoolVar(&opts.AllowUnsigned, "allow-unsigned", false, "accept a share bundle without a signature")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask to confirm a share bundle import")
	cmd.Flags().StringVar(&opts.Resolve, "resolve", "", "for share bundles, settle conflicts: theirs (take the bundle's version) or mine (keep yours)")
	return cmd
}

func readInput(f *Factory, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(f.IO.In)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &exitError{class: errNotFound, err: err}
		}
		return nil, err
	}
	return b, nil
}

func importRun(o *ImportOptions) error {
	format := strings.ToLower(o.Format)
	switch format {
	case "", "json", "csv":
	default:
		return usageErr(fmt.Sprintf("unknown --format %q (want json or csv)", o.Format))
	}
	if r := strings.ToLower(o.Resolve); r != "" && r != "theirs" && r != "mine" {
		return usageErr(fmt.Sprintf("unknown --resolve %q (want theirs or mine)", o.Resolve))
	}
	data, err := readInput(o.F, o.File)
	if err != nil {
		return err
	}
	if format == "" {
		switch {
		case isBundle(data):
			return importBundleRun(o, data)
		case bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")):
			format = "json"
		default:
			return usageErr("cannot tell the format of " + o.File + "; give --format json or --format csv")
		}
	}
	var recs []*secret.Record
	if format == "json" {
		recs, err = secret.ReadImportJSON(bytes.NewReader(data))
	} else {
		recs, err = secret.ReadImportCSV(bufio.NewReader(bytes.NewReader(data)))
	}
	if err != nil {
		return withHint(errUsage, fmt.Errorf("%s: %w", o.File, err), "nothing was imported")
	}
	for i, r := range recs {
		for _, p := range recs[:i] {
			if secret.SameIdentifier(p.Identifier, r.Identifier) {
				return withHint(errConflict, fmt.Errorf("%s: entries %q and %q share the identifier %q", o.File, p.Name, r.Name, r.Identifier), "nothing was imported")
			}
		}
	}
	err = o.F.Update(func(tx *vault.Tx) error {
		for _, r := range recs {
			if err := claimNew(tx, r); err != nil {
				return err
			}
			if err := tx.Put(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var ce *vault.ConflictError
		if asErr(err, &ce) {
			return withHint(errConflict, err, "nothing was imported")
		}
		return err
	}
	fmt.Fprintf(o.F.IO.Out, "Imported %d API secrets\n", len(recs))
	return nil
}
