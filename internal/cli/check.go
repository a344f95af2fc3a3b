package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/vault"
)

// CheckOptions are the inputs of `mysafe check`.
type CheckOptions struct {
	F              *Factory
	AcceptRollback bool
	JSON           bool
}

// NewCmdCheck builds `mysafe check`.
func NewCmdCheck(f *Factory) *cobra.Command {
	opts := &CheckOptions{F: f}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Verify the whole vault file",
		Long: `Verify the whole vault: the database's own consistency, every value
decrypting in its place, the index agreeing with the stored values in both
directions, and the vault's generation against the highest one mysafe has
seen. Prints one line per problem and exits 4 when there is any.

After restoring a backup (or another older copy) on purpose, mysafe refuses
the vault because its generation went backwards; --accept-rollback accepts
it, once everything else checks out. After a clean check, the copy kept by
an upgrade from format 1 is removed.`,
		Example: "  mysafe check\n  mysafe check --accept-rollback\n  mysafe check --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return checkRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.AcceptRollback, "accept-rollback", false, "accept a vault older than the one last seen (after restoring a backup)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as a JSON object (the exit code is the same)")
	return cmd
}

var errCheckFailed = errors.New("the vault failed the check")

func checkRun(o *CheckOptions) error {
	f := o.F
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	defer v.Close()
	rep, err := v.Check(o.AcceptRollback)
	if err != nil {
		return err
	}
	if o.JSON {
		if err := writeCheckJSON(f, rep); err != nil {
			return err
		}
	} else {
		for _, p := range rep.Problems {
			fmt.Fprintf(f.IO.Out, "problem: %s\n", strings.Join(strings.Fields(p), " "))
		}
	}
	if !rep.OK() {
		return withHint(errLocked, fmt.Errorf("%w: %d problems", errCheckFailed, len(rep.Problems)),
			"restore your latest backup (see `mysafe backup --help`)")
	}
	if !o.JSON {
		if rep.Accepted {
			fmt.Fprintf(f.IO.Out, "accepted: generation %d (mysafe had seen %d)\n", rep.Generation, rep.Seen)
		}
		if rep.OldCopy != "" {
			fmt.Fprintf(f.IO.Out, "removed the copy of the format-1 vault: %s\n", rep.OldCopy)
		}
		fmt.Fprintf(f.IO.Out, "ok: %s, generation %d\n", apiSecrets(rep.Records), rep.Generation)
	}
	if err := v.CanRecord(); err != nil {
		// The check passed, but the rollback guard cannot record the
		// generation its log entry would make: say so, change nothing.
		f.warnState("check not recorded", err)
		return nil
	}
	err = v.Update(func(tx *vault.Tx) error { return tx.Log(logEntry(audit.Check, nil, "ok")) })
	if readOnlyVault(err) {
		f.notRecorded()
		return nil
	}
	return err
}

// writeCheckJSON prints check's report as one JSON object: ok, the number
// of API secrets, the generation, every problem (an empty array when there
// is none), and, when they happened, the accepted rollback and the removed
// copy of a format-1 vault.
func writeCheckJSON(f *Factory, rep *vault.CheckReport) error {
	problems := make([]string, 0, len(rep.Problems))
	for _, p := range rep.Problems {
		problems = append(problems, strings.Join(strings.Fields(p), " "))
	}
	out := struct {
		OK          bool     `json:"ok"`
		Records     int      `json:"records"`
		Generation  uint64   `json:"generation"`
		Problems    []string `json:"problems"`
		Accepted    bool     `json:"accepted_rollback,omitempty"`
		Seen        uint64   `json:"seen_generation,omitempty"`
		RemovedCopy string   `json:"removed_copy,omitempty"`
	}{rep.OK(), rep.Records, rep.Generation, problems, rep.Accepted, 0, rep.OldCopy}
	if rep.Accepted {
		out.Seen = rep.Seen
	}
	return writeJSON(f.IO.Out, out)
}
