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
	// Records are decrypted and filtered one at a time, and only what is
	// shown is kept of them: a large vault lists in little memory.
	search := strings.ToLower(o.Search)
	// Rows are made in blocks and sorted as pointers: a slice of rows
	// grown one at a time, and sorted, would copy each several times.
	var rows []*listed
	var block []listed
	if err := o.F.View(func(tx *vault.Tx) error {
		return tx.Each(func(r *secret.Record) error {
			if keepRecord(r, o.Tags, search, o.Shared) && (unusedSince.IsZero() || r.LastUsedAt.Before(unusedSince)) {
				if len(block) == cap(block) {
					block = make([]listed, 0, 1024)
				}
				block = append(block, newListed(r, o.JSON))
				rows = append(rows, &block[len(block)-1])
			}
			return nil
		})
	}); err != nil {
		return err
	}
	slices.SortFunc(rows, func(a, b *listed) int { return compareNames(a.name, b.name) })
	switch o.Sort {
	case "last-use":
		slices.SortStableFunc(rows, func(a, b *listed) int { return b.lastUsed.Compare(a.lastUsed) })
	case "updated":
		slices.SortStableFunc(rows, func(a, b *listed) int { return b.updated.Compare(a.updated) })
	}
	if o.JSON {
		out := make([]secret.JSON, len(rows))
		for i, r := range rows {
			out[i] = *r.json
		}
		_, err := o.F.IO.Out.Write(secret.AppendJSONList(make([]byte, 0, 640*len(out)+4), out))
		return err
	}
	return writeTable(o.F.IO.Out, rows)
}

// writeTable writes the table of `list`.
func writeTable(w io.Writer, rows []*listed) error {
	table := make([][]string, 0, len(rows)+1)
	table = append(table, []string{"NAME", "IDENTIFIER", "URL", "METHOD", "TAGS", "OWNER", "LAST USE"})
	for i := range rows {
		table = append(table, rows[i].cells[:])
	}
	return writeAligned(w, table)
}

// listed is what list keeps of a record it shows: what it sorts by, and
// either the table's cells or the record's JSON.
type listed struct {
	name              nameKey
	lastUsed, updated time.Time
	cells             [7]string
	json              *secret.JSON
}

func newListed(r *secret.Record, asJSON bool) listed {
	l := listed{name: nameKeyOf(r), lastUsed: r.LastUsedAt, updated: r.UpdatedAt}
	if asJSON {
		j := r.ToJSON()
		l.json = &j
		return l
	}
	l.cells = [7]string{r.Name, dash(r.Identifier), r.URL, dash(r.Method),
		dash(strings.Join(r.Tags, ",")), r.Owner, lastUse(r.LastUsedAt)}
	return l
}

// listSorts are the orders list --sort accepts. It is read, never changed.
var listSorts = []string{"name", "last-use", "updated"}
