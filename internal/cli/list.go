package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/display"
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
	if err := o.F.ViewWhole(func(tx *vault.Tx) error {
		// The table, --tag and --unused read only what a summary of a
		// record holds; --json, --search and --shared read more.
		each := tx.EachSummary
		if o.JSON || search != "" || o.Shared {
			each = tx.Each
		}
		return each(func(r *secret.Record) error {
			if keepRecord(r, o.Tags, search, o.Shared) && (unusedSince.IsZero() || r.LastUsedAt.Before(unusedSince)) {
				if len(block) == cap(block) {
					block = make([]listed, 0, 1024)
				}
				block = append(block, newListed(r, o.JSON, o.Sort))
				rows = append(rows, &block[len(block)-1])
			}
			return nil
		})
	}); err != nil {
		return err
	}
	sortListed(rows)
	if o.Sort != "name" {
		slices.SortStableFunc(rows, func(a, b *listed) int { return b.when.Compare(a.when) })
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

// listSorts are the orders list --sort accepts. It is read, never changed.
var listSorts = []string{"name", "last-use", "updated"}

// listHeader is the first line of the table of `list`.
var listHeader = [...]string{"NAME", "IDENTIFIER", "URL", "METHOD", "TAGS", "OWNER", "LAST USE"}

// writeTable writes the table of `list`.
func writeTable(w io.Writer, rows []*listed) error {
	widths := make([]int, len(listHeader))
	for c, h := range listHeader {
		widths[c] = len(h)
	}
	for _, l := range rows {
		for c, cw := range l.widths {
			widths[c] = max(widths[c], int(cw))
		}
	}
	return writeColumns(w, len(rows)+1, widths, func(r, c int) (string, int) {
		if r == 0 {
			return listHeader[c], len(listHeader[c])
		}
		return rows[r-1].cell(c)
	})
}

// listed is what list keeps of a record it shows: what it sorts by, and
// either the table's cells or the record's JSON. A table row is one string
// (the cells, escaped for the terminal, then the name and the id), so it
// keeps nothing else of the record alive.
type listed struct {
	name         nameKey
	when         time.Time // the time --sort orders by, if it orders by one
	text         string
	ends, widths [len(listHeader)]uint32
	json         *secret.JSON
}

func newListed(r *secret.Record, asJSON bool, sortBy string) listed {
	var l listed
	switch sortBy {
	case "last-use":
		l.when = r.LastUsedAt
	case "updated":
		l.when = r.UpdatedAt
	}
	if asJSON {
		j := r.ToJSON()
		l.json = &j
		l.name = nameKeyOf(r)
		return l
	}
	// The tags cell is written tag by tag (display.Safe escapes rune by
	// rune, and a comma is safe), so that no joined copy is made.
	const tagsCell = 4
	cells := [len(listHeader)]string{display.Safe(r.Name), display.Safe(dash(r.Identifier)), display.Safe(r.URL),
		display.Safe(dash(r.Method)), "", display.Safe(r.Owner), lastUse(r.LastUsedAt)}
	if len(r.Tags) == 0 || len(r.Tags) == 1 && r.Tags[0] == "" {
		cells[tagsCell] = "-"
	}
	n := len(r.Name) + len(r.ID) + max(len(r.Tags)-1, 0)
	for _, c := range cells {
		n += len(c)
	}
	for _, t := range r.Tags {
		n += len(t) // escaping, which is rare, may grow b once more
	}
	var b strings.Builder
	b.Grow(n)
	for i, c := range cells {
		b.WriteString(c)
		if i == tagsCell {
			for j, t := range r.Tags {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(display.Safe(t))
			}
		}
		l.ends[i] = uint32(b.Len())
	}
	b.WriteString(r.Name)
	b.WriteString(r.ID)
	l.text = b.String()
	for i := range cells {
		l.widths[i] = uint32(display.Width(l.text[l.start(i):l.ends[i]]))
	}
	id := len(l.text) - len(r.ID)
	name := l.text[l.ends[len(cells)-1]:id]
	l.name = nameKey{strings.ToLower(name), name, l.text[id:]}
	return l
}

// sortListed sorts rows as sortRecords sorts records. It compares the
// lower-case names kept beside each pointer, so that most comparisons do
// not have to reach the rows themselves.
func sortListed(rows []*listed) {
	type keyed struct {
		lower string
		l     *listed
	}
	ks := make([]keyed, len(rows))
	for i, l := range rows {
		ks[i] = keyed{l.name.lower, l}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := strings.Compare(a.lower, b.lower); c != 0 {
			return c
		}
		return compareNames(a.l.name, b.l.name)
	})
	for i := range ks {
		rows[i] = ks[i].l
	}
}

func (l *listed) start(c int) uint32 {
	if c == 0 {
		return 0
	}
	return l.ends[c-1]
}

// cell returns the table cell c of the row and its width.
func (l *listed) cell(c int) (string, int) {
	return l.text[l.start(c):l.ends[c]], int(l.widths[c])
}
