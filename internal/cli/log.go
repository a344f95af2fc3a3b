package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// LogOptions are the inputs of `mysafe log`.
type LogOptions struct {
	F      *Factory
	Ref    string
	Since  string
	Action string
	JSON   bool
}

// NewCmdLog builds `mysafe log`.
func NewCmdLog(f *Factory) *cobra.Command {
	opts := &LogOptions{F: f}
	cmd := &cobra.Command{
		Use:   "log [REF]",
		Short: "Show the audit log: who used or changed which API secret, and when",
		Long: `Show the vault's audit log, oldest first: every reveal, copy, exec, inject
and token use, export, share, import, add, edit, tag, rm, restore, history
prune, passwd, rotate-keys and check, with its time, the API secret, the
user, the host and, in CI, the job. Values are never logged.

REF keeps the entries of one API secret (an id also finds one that was
removed). --since keeps the entries from a time on: a length of time back
(7d, 2w, 12h) or a date (2026-03-01). --action keeps one action.

The log is checked whole before anything is printed: an entry removed,
changed, reordered or cut off is reported (exit 4), as by ` + "`mysafe check`" + `.`,
		Example: "  mysafe log payments-prod --since 7d --action reveal\n  mysafe log --since 2026-03-01 --json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErr(fmt.Sprintf("mysafe log takes at most one REF (got %d arguments)", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			return logRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Since, "since", "", "only entries from this time on (7d, 12h, 2026-03-01)")
	cmd.Flags().StringVar(&opts.Action, "action", "", "only this action ("+strings.Join(audit.Actions(), ", ")+")")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	return cmd
}

// logJSON is one entry in `log --json`.
type logJSON struct {
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	Action     string    `json:"action"`
	RecordID   string    `json:"record_id"`
	Name       string    `json:"name"`
	Identifier string    `json:"identifier"`
	User       string    `json:"user"`
	Host       string    `json:"host"`
	Job        string    `json:"job"`
	Detail     string    `json:"detail"`
}

func logRun(o *LogOptions) error {
	var filter audit.Filter
	var err error
	if o.Since != "" {
		if filter.Since, err = audit.ParseSince(o.Since, o.F.Now()); err != nil {
			return usageErr("--since: " + err.Error())
		}
	}
	if o.Action != "" {
		if filter.Action, err = audit.ParseAction(o.Action); err != nil {
			return usageErr("--action: " + err.Error())
		}
	}
	var entries []*audit.Entry
	err = o.F.View(func(tx *vault.Tx) error {
		if o.Ref != "" {
			r, err := tx.Find(o.Ref)
			switch {
			case err == nil:
				filter.RecordID = r.ID
			case errors.Is(err, secret.ErrNotFound) && secret.LooksLikeID(o.Ref):
				filter.RecordID = strings.ToLower(o.Ref) // removed since
			default:
				return err
			}
		}
		return tx.Entries(filter, func(e *audit.Entry) error {
			entries = append(entries, e)
			return nil
		})
	})
	if err != nil {
		return err
	}
	if o.JSON {
		out := make([]logJSON, len(entries))
		for i, e := range entries {
			out[i] = logJSON{Seq: e.Seq, Time: e.Time.UTC(), Action: string(e.Action), RecordID: e.RecordID, Name: e.Name,
				Identifier: e.Identifier, User: e.User, Host: e.Host, Job: e.Job, Detail: e.Detail}
		}
		return writeJSON(o.F.IO.Out, out)
	}
	return writeLog(o.F.IO.Out, entries)
}

// logTimeLayout shows entries to the second.
const logTimeLayout = "2006-01-02 15:04:05 UTC"

func writeLog(w io.Writer, entries []*audit.Entry) error {
	rows := [][]string{{"#", "TIME", "ACTION", "API SECRET", "USER", "HOST", "JOB", "DETAIL"}}
	for _, e := range entries {
		what := e.Name
		if e.Identifier != "" {
			what += " (" + e.Identifier + ")"
		}
		rows = append(rows, []string{strconv.FormatUint(e.Seq, 10), e.Time.UTC().Format(logTimeLayout), string(e.Action),
			dash(what), dash(e.User), dash(e.Host), dash(e.Job), dash(e.Detail)})
	}
	return writeAligned(w, rows)
}
