package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// ShowOptions are the inputs of `mysafe show`.
type ShowOptions struct {
	F       *Factory
	Ref     string
	JSON    bool
	Version int // 0: the current version
}

// NewCmdShow builds `mysafe show`.
func NewCmdShow(f *Factory) *cobra.Command {
	opts := &ShowOptions{F: f}
	cmd := &cobra.Command{
		Use:   "show REF",
		Short: "Show an API secret's details (never its client secret)",
		Long: `Show the details of one API secret: name, owner, last use, URL, identifier,
client ID, method, token endpoint (when set), tags, notes, times and the users
with access. The client secret is never shown; use ` + "`mysafe reveal`" + `.

REF is an identifier, an exact name (when only one API secret has it) or an id.`,
		Example: "  mysafe show payments-prod\n  mysafe show payments-prod --json",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return showRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON object")
	cmd.Flags().IntVar(&opts.Version, "version", 0, "show an earlier version (see `mysafe history`)")
	return cmd
}

func showRun(o *ShowOptions) error {
	if o.Version < 0 {
		return usageErr("--version: versions are numbered from 1 (see `mysafe history`)")
	}
	var r *secret.Record
	if err := o.F.View(func(tx *vault.Tx) (err error) {
		if r, err = tx.Find(o.Ref); err != nil || o.Version == 0 {
			return err
		}
		cur := r
		if r, err = tx.Version(cur.ID, o.Version); err != nil {
			return versionErr(err, o.Ref)
		}
		// The last use is the API secret's, not the version's.
		r.LastUsedAt = cur.LastUsedAt
		return nil
	}); err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.F.IO.Out, r.ToJSON())
	}
	if o.Version > 0 {
		fmt.Fprintf(o.F.IO.Out, "%-*s%d\n", len("Your access: "), "Version:", o.Version)
	}
	return writeDetails(o.F.IO.Out, r)
}

// writeDetails prints the details screen. Every value is escaped for the
// terminal (display.Safe): notes and names come from the user, files and
// other people's bundles.
func writeDetails(w io.Writer, r *secret.Record) error {
	// Labels are padded to one width; continuation lines of the notes start
	// under the values.
	const width = len("Your access: ")
	line := func(k, v string) {
		if k != "" {
			k += ":"
		}
		fmt.Fprintf(w, "%-*s%s\n", width, k, display.Safe(v))
	}
	line(secret.FieldName.Label(), r.Name)
	line("Owner", r.Owner)
	line("Last use", lastUse(r.LastUsedAt))
	line(secret.FieldURL.Label(), r.URL)
	line(secret.FieldIdentifier.Label(), dash(r.Identifier))
	line(secret.FieldClientID.Label(), r.ClientID)
	line(secret.FieldMethod.Label(), dash(r.Method))
	if r.TokenURL != "" || r.TokenAuth != "" {
		line(secret.FieldTokenURL.Label(), dash(r.TokenURL))
		line(secret.FieldTokenAuth.Label(), dash(r.TokenAuth))
	}
	line("Tags", dash(strings.Join(r.Tags, ", ")))
	notes := display.Lines(r.Notes)
	line(secret.FieldNotes.Label(), dash(notes[0]))
	for _, n := range notes[1:] {
		line("", n)
	}
	line("Created", fmtTime(r.CreatedAt))
	line("Updated", fmtTime(r.UpdatedAt))
	line("ID", r.ID)
	if !r.Mine() {
		line("Your access", string(r.Permission))
	}
	fmt.Fprintln(w, "Users with access:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, a := range r.Access {
		perm := string(a.Permission)
		if a.Revoked() {
			perm = "revoked " + fmtTime(a.RevokedAt)
		}
		if a.Recipient == "" || (r.Mine() && a.Permission == secret.PermOwner) {
			// Your own key needs no showing on your own records.
			fmt.Fprintf(tw, "  %s\t%s\n", display.Safe(a.Name), perm)
		} else {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", display.Safe(a.Name), perm, display.Safe(a.Recipient))
		}
	}
	return tw.Flush()
}
