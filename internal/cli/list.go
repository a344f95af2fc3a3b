package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// ListOptions are the inputs of `mysafe list`.
type ListOptions struct {
	F      *Factory
	Tags   []string
	Search string
	Shared bool
	JSON   bool
	Unused string // "90d": only API secrets not used for that long
	Sort   string // name, last-use or updated
}

// NewCmdList builds `mysafe list`.
func NewCmdList(f *Factory) *cobra.Command {
	opts := &ListOptions{F: f}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List API secrets, sorted by name",
		Long: `List API secrets as a table sorted by name. Every --tag given must match;
--search matches name, identifier, URL, client ID and notes, ignoring case.
Client secrets are never listed.`,
		Example: "  mysafe list --tag prod --search payments\n  mysafe list --json | jq -r '.[].name'",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return listRun(opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Tags, "tag", nil, "only API secrets with this tag (repeatable; all must match)")
	cmd.Flags().StringVar(&opts.Search, "search", "", "only API secrets whose name, identifier, URL, client ID or notes contain `TEXT`")
	cmd.Flags().BoolVar(&opts.Shared, "shared", false, "only API secrets shared with others or by others")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	cmd.Flags().StringVar(&opts.Unused, "unused", "", "only API secrets nobody used for this long (e.g. 90d), or never")
	cmd.Flags().StringVar(&opts.Sort, "sort", "name", "order: name, last-use (most recent first, never used last) or updated (most recent first)")
	return cmd
}

func listRun(o *ListOptions) error {
	for _, t := range o.Tags {
		if err := secret.ValidateTag(t); err != nil {
			return err
		}
	}
	var unusedSince time.Time
	if o.Unused != "" {
		d, err := audit.ParseAge(o.Unused)
		if err != nil {
			return usageErr("--unused: " + err.Error())
		}
		unusedSince = o.F.Now().Add(-d)
	}
	if !slices.Contains(listSorts, o.Sort) {
		return usageErr(fmt.Sprintf("--sort: unknown order %q (want %s)", o.Sort, strings.Join(listSorts, ", ")))
	}
	var recs []*secret.Record
	if err := o.F.View(func(tx *vault.Tx) error {
		all, err := tx.List()
		recs = filterRecords(all, o.Tags, o.Search, o.Shared)
		return err
	}); err != nil {
		return err
	}
	if !unusedSince.IsZero() {
		recs = slices.DeleteFunc(recs, func(r *secret.Record) bool { return !r.LastUsedAt.Before(unusedSince) })
	}
	sortRecords(recs)
	switch o.Sort {
	case "last-use":
		slices.SortStableFunc(recs, func(a, b *secret.Record) int { return b.LastUsedAt.Compare(a.LastUsedAt) })
	case "updated":
		slices.SortStableFunc(recs, func(a, b *secret.Record) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	}
	if o.JSON {
		out := make([]secret.JSON, len(recs))
		for i, r := range recs {
			out[i] = r.ToJSON()
		}
		_, err := o.F.IO.Out.Write(secret.AppendJSONList(make([]byte, 0, 640*len(out)+4), out))
		return err
	}
	return writeTable(o.F.IO.Out, recs)
}

// listSorts are the orders list --sort accepts. It is read, never changed.
var listSorts = []string{"name", "last-use", "updated"}

func writeTable(w io.Writer, recs []*secret.Record) error {
	rows := make([][]string, 0, len(recs)+1)
	rows = append(rows, []string{"NAME", "IDENTIFIER", "URL", "METHOD", "TAGS", "OWNER", "LAST USE"})
	for _, r := range recs {
		rows = append(rows, []string{r.Name, dash(r.Identifier), r.URL, dash(r.Method),
			dash(strings.Join(r.Tags, ",")), r.Owner, lastUse(r.LastUsedAt)})
	}
	return writeAligned(w, rows)
}
