package cli

import (
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// TagsOptions are the inputs of `mysafe tags`.
type TagsOptions struct {
	F    *Factory
	JSON bool
}

// NewCmdTags builds `mysafe tags`.
func NewCmdTags(f *Factory) *cobra.Command {
	opts := &TagsOptions{F: f}
	cmd := &cobra.Command{
		Use:     "tags",
		Short:   "List every tag with the number of API secrets that carry it",
		Example: "  mysafe tags\n  mysafe tags --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return tagsRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array of {tag, count}")
	return cmd
}

// TagCount is one line of `mysafe tags`.
type TagCount struct {
	Tag   string `json:"tag"`
	Count int    `json:"count"`
}

func tagsRun(o *TagsOptions) error {
	counts := map[string]*TagCount{}
	err := o.F.ViewWhole(func(tx *vault.Tx) error {
		// Records are read in place: what is kept is copied.
		return tx.EachView(func(r *secret.Record) error {
			for _, t := range r.Tags {
				k := strings.ToLower(t)
				if counts[k] == nil {
					counts[strings.Clone(k)] = &TagCount{Tag: strings.Clone(t)}
				} else if t < counts[k].Tag {
					// One spelling for every run: the smallest.
					counts[k].Tag = strings.Clone(t)
				}
				counts[k].Count++
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	out := make([]TagCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b TagCount) int { return strings.Compare(strings.ToLower(a.Tag), strings.ToLower(b.Tag)) })
	if o.JSON {
		return writeJSON(o.F.IO.Out, out)
	}
	rows := [][]string{{"TAG", "COUNT"}}
	for _, c := range out {
		rows = append(rows, []string{c.Tag, strconv.Itoa(c.Count)})
	}
	return writeAligned(o.F.IO.Out, rows)
}
