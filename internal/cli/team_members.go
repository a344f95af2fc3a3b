package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/team"
	"github.com/mysafe/mysafe/internal/vault"
)

// TeamMembersOptions are the inputs of `mysafe team members`.
type TeamMembersOptions struct {
	F    *Factory
	JSON bool
}

// NewCmdTeamMembers builds `mysafe team members`.
func NewCmdTeamMembers(f *Factory) *cobra.Command {
	opts := &TeamMembersOptions{F: f}
	cmd := &cobra.Command{
		Use:     "members",
		Short:   "List the team's members as this vault pinned them",
		Example: "  mysafe team members\n  mysafe team members --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return teamMembersRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON object")
	return cmd
}

// teamMemberJSON is one member in `team members --json`.
type teamMemberJSON struct {
	Name        string     `json:"name"`
	Fingerprint string     `json:"fingerprint"`
	PinnedAt    time.Time  `json:"pinned_at"`
	RemovedAt   *time.Time `json:"removed_at,omitempty"`
}

func teamMembersRun(o *TeamMembersOptions) error {
	f, asJSON := o.F, o.JSON
	var st *team.State
	var self string
	err := f.View(func(tx *vault.Tx) error {
		var err error
		if st, err = requireTeam(tx); err != nil {
			return err
		}
		p, err := tx.Profile()
		if err == nil {
			self = p.Owner
		}
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		out := struct {
			Remote  string           `json:"remote"`
			You     string           `json:"you"`
			Members []teamMemberJSON `json:"members"`
		}{Remote: st.Remote, You: self, Members: []teamMemberJSON{}}
		for _, m := range st.Members {
			j := teamMemberJSON{Name: m.Name, Fingerprint: "(damaged)", PinnedAt: m.AddedAt.UTC()}
			if c, err := team.PinnedContact(m.Name, m.Pinned, m.AddedAt); err == nil {
				j.Fingerprint = team.Fingerprint(c)
			}
			if m.Removed() {
				at := m.RemovedAt.UTC()
				j.RemovedAt = &at
			}
			out.Members = append(out.Members, j)
		}
		return writeJSON(f.IO.Out, out)
	}
	fmt.Fprintf(f.IO.Out, "Team repository: %s\n", display.Safe(st.Remote))
	fmt.Fprintf(f.IO.Out, "%-20s %s\n", display.Safe(self), "(you)")
	for _, m := range st.Members {
		c, err := team.PinnedContact(m.Name, m.Pinned, m.AddedAt)
		fp := "(damaged)"
		if err == nil {
			fp = team.Fingerprint(c)
		}
		state := "pinned " + fmtTime(m.AddedAt)
		if m.Removed() {
			state = "removed " + fmtTime(m.RemovedAt)
		}
		fmt.Fprintf(f.IO.Out, "%-20s %s  %s\n", display.Safe(m.Name), fp, state)
	}
	return nil
}
