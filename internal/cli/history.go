package cli

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// HistoryOptions are the inputs of `mysafe history`.
type HistoryOptions struct {
	F    *Factory
	Ref  string
	JSON bool
}

// NewCmdHistory builds `mysafe history` and `mysafe history prune`.
func NewCmdHistory(f *Factory) *cobra.Command {
	opts := &HistoryOptions{F: f}
	cmd := &cobra.Command{
		Use:   "history REF",
		Short: "List the versions of an API secret",
		Long: `List the versions of an API secret, newest first: its number, when it was
made, by whom (you, or the contact whose share bundle changed it) and which
fields changed. Values are never shown; see one version with
` + "`mysafe show REF --version N`" + `, reveal it with ` + "`mysafe reveal REF --version N`" + `
and make it current again with ` + "`mysafe restore REF --version N`" + `.

Every change to an API secret (edit, tag, import or a share bundle over it,
restore) keeps the version it replaces, sealed like the API secret itself.
The setting history.max_versions (default 10) is how many earlier versions
are kept; the oldest go first, and nothing of them stays in the vault file.`,
		Example: "  mysafe history payments-prod\n  mysafe history payments-prod --json\n  mysafe history prune payments-prod",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return historyRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	cmd.AddCommand(NewCmdHistoryPrune(f))
	return cmd
}

// versionJSON is one version in `history --json`.
type versionJSON struct {
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
	By      string    `json:"by"`
	Changed []string  `json:"changed"`
	Note    string    `json:"note"`
	Current bool      `json:"current"`
}

func historyRun(o *HistoryOptions) error {
	var r *secret.Record
	var versions []vault.Version
	var owner string
	err := o.F.View(func(tx *vault.Tx) (err error) {
		if r, err = tx.Find(o.Ref); err != nil {
			return err
		}
		p, err := tx.Profile()
		if err != nil {
			return err
		}
		owner = p.Owner
		versions, err = tx.History(r.ID)
		return err
	})
	if err != nil {
		return err
	}
	slices.Reverse(versions)
	if o.JSON {
		out := make([]versionJSON, len(versions))
		for i, v := range versions {
			out[i] = versionJSON{Version: v.N, Time: v.At.UTC(), By: versionBy(v, owner), Changed: v.Changed, Note: v.Note, Current: v.Current}
			if out[i].Changed == nil {
				out[i].Changed = []string{}
			}
		}
		return writeJSON(o.F.IO.Out, out)
	}
	return writeHistory(o.F.IO.Out, versions, owner)
}

// versionBy names who made a version: the contact, or the vault's owner.
func versionBy(v vault.Version, owner string) string {
	if v.By != "" {
		return v.By
	}
	return owner
}

func writeHistory(w io.Writer, versions []vault.Version, owner string) error {
	rows := [][]string{{"VERSION", "TIME", "BY", "CHANGED"}}
	for _, v := range versions {
		n := strconv.Itoa(v.N)
		if v.Current {
			n += " (current)"
		}
		changed := strings.Join(v.Changed, ", ")
		if v.N == 1 && changed == "" {
			changed = "created"
		}
		if v.Note != "" {
			changed = strings.TrimSpace(dash(changed) + " (" + v.Note + ")")
		}
		rows = append(rows, []string{n, fmtTime(v.At), versionBy(v, owner), dash(changed)})
	}
	return writeAligned(w, rows)
}
