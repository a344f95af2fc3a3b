package cli

import (
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
	return cmd
}

func listRun(o *ListOptions) error {
	for _, t := range o.Tags {
		if err := secret.ValidateTag(t); err != nil {
			return err
		}
	}
	var recs []*secret.Record
	if err := o.F.View(func(tx *vault.Tx) error {
		all, err := tx.List()
		recs = filterRecords(all, o.Tags, o.Search, o.Shared)
		return err
	}); err != nil {
		return err
	}
	sortRecords(recs)
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

// filterRecords keeps the records that carry every tag and contain search.
func filterRecords(recs []*secret.Record, tags []string, search string, shared bool) []*secret.Record {
	search = strings.ToLower(search)
	out := recs[:0:0]
	for _, r := range recs {
		if !hasAllTags(r, tags) || (search != "" && !matches(r, search)) || (shared && !isShared(r)) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func hasAllTags(r *secret.Record, tags []string) bool {
	for _, t := range tags {
		if !secret.HasTag(r.Tags, t) {
			return false
		}
	}
	return true
}

// matches reports whether lowered search occurs in one of the searchable fields.
func matches(r *secret.Record, search string) bool {
	for _, s := range []string{r.Name, r.Identifier, r.URL, r.ClientID, r.Notes} {
		if containsFold(s, search) {
			return true
		}
	}
	return false
}

// containsFold is strings.Contains ignoring case; search is already lower
// case. ASCII fields take a fast path without allocating.
func containsFold(s, lowerSearch string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), lowerSearch)
		}
	}
	n := len(lowerSearch)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowerSearch[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// isShared reports whether a record came from someone else or was shared.
func isShared(r *secret.Record) bool {
	if !r.Mine() {
		return true
	}
	for _, a := range r.Access {
		if a.Permission != secret.PermOwner {
			return true
		}
	}
	return false
}

// sortRecords sorts by name without regard to case, then by name, then by
// id, so the order is the same on every run.
func sortRecords(recs []*secret.Record) {
	type keyed struct {
		lower string
		r     *secret.Record
	}
	ks := make([]keyed, len(recs))
	for i, r := range recs {
		ks[i] = keyed{strings.ToLower(r.Name), r}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := strings.Compare(a.lower, b.lower); c != 0 {
			return c
		}
		if c := strings.Compare(a.r.Name, b.r.Name); c != 0 {
			return c
		}
		return strings.Compare(a.r.ID, b.r.ID)
	})
	for i := range ks {
		recs[i] = ks[i].r
	}
}

func writeTable(w io.Writer, recs []*secret.Record) error {
	rows := make([][]string, 0, len(recs)+1)
	rows = append(rows, []string{"NAME", "IDENTIFIER", "URL", "METHOD", "TAGS", "OWNER", "LAST USE"})
	for _, r := range recs {
		rows = append(rows, []string{r.Name, dash(r.Identifier), r.URL, dash(r.Method),
			dash(strings.Join(r.Tags, ",")), r.Owner, lastUse(r.LastUsedAt)})
	}
	return writeAligned(w, rows)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// timeLayout is how times appear in tables and the details screen: UTC to
// the minute, the same on every machine.
const timeLayout = "2006-01-02 15:04 UTC"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func lastUse(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmtTime(t)
}

func asErr[T any](err error, target *T) bool { return errors.As(err, target) }
