package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// ExportOptions are the inputs of `mysafe export`.
type ExportOptions struct {
	F      *Factory
	Format string
	Output string
	Force  bool
	Tags   []string
}

// NewCmdExport builds `mysafe export`.
func NewCmdExport(f *Factory) *cobra.Command {
	opts := &ExportOptions{F: f}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export every API secret, client secrets included, as JSON, CSV or dotenv",
		Long: `Write every API secret, client secrets IN CLEAR, as JSON or CSV, to stdout
or to a new file (-o) created with mode 0600. An existing file is not
overwritten unless --force is given.

--format dotenv writes one KEY='client secret' line per API secret, KEY being
its identifier (or name) in upper case with other characters turned into
underscores; --tag limits the export to the API secrets that carry every
tag given.`,
		Example: "  mysafe export --format json -o backup.json\n  mysafe export --format csv | other-tool import\n  mysafe export --format dotenv --tag payments -o .env",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exportRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "json", "json, csv or dotenv")
	cmd.Flags().StringArrayVar(&opts.Tags, "tag", nil, "only API secrets with this tag (repeatable; all must match)")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` (mode 0600) instead of stdout")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing output file")
	return cmd
}

func exportRun(o *ExportOptions) (err error) {
	format := strings.ToLower(o.Format)
	if !slices.Contains(exportFormats(), format) {
		return usageErr(fmt.Sprintf("unknown --format %q (want json, csv or dotenv)", o.Format))
	}
	for _, t := range o.Tags {
		if err := secret.ValidateTag(t); err != nil {
			return &exitError{class: errUsage, err: err}
		}
	}
	if o.Output != "" && !o.Force {
		if _, err := os.Lstat(o.Output); err == nil {
			return withHint(errConflict, fmt.Errorf("%s already exists", o.Output), "use --force to overwrite it")
		}
	}
	var recs []*secret.Record
	if err := o.F.View(func(tx *vault.Tx) (err error) {
		if err := tx.CheckLogForUse(); err != nil {
			return err
		}
		recs, err = tx.Records()
		return err
	}); err != nil {
		return err
	}
	recs = filterRecords(recs, o.Tags, "", false)
	sortRecords(recs)

	var w io.Writer = o.F.IO.Out
	if o.Output != "" {
		// perr, not err: the deferred function must see the named result.
		pf, perr := createPrivate(o.Output, o.Force)
		if perr != nil {
			return perr
		}
		// err is the function's result: whatever fails below, including a
		// write that runs out of disk, discards the file.
		defer func() {
			if err == nil {
				err = commitPrivate(o.Output, pf)
			} else {
				pf.Abort() // no half-written export left behind
			}
		}()
		w = pf
	}
	n := 0
	for _, r := range recs {
		if !r.ClientSecret.IsZero() {
			n++
		}
	}
	o.F.notice("mysafe: warning: the export holds %d client secret(s) in clear; protect it and delete it when done", n)
	switch format {
	case "csv":
		err = secret.WriteExportCSV(w, recs)
	case "dotenv":
		err = secret.WriteDotenv(w, recs)
	default:
		out := make([]secret.ExportJSON, len(recs))
		for i, r := range recs {
			out[i] = r.ToExport()
		}
		err = writeJSON(w, out)
	}
	if err != nil {
		return err
	}
	return o.F.logUses(logEntry(audit.Export, nil, fmt.Sprintf("%s as %s", apiSecrets(len(recs)), format)))
}
