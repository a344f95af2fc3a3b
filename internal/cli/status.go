package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/agent"
)

// StatusOptions are the inputs of `mysafe status`.
type StatusOptions struct {
	F    *Factory
	JSON bool
}

// NewCmdStatus builds `mysafe status`.
func NewCmdStatus(f *Factory) *cobra.Command {
	opts := &StatusOptions{F: f}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Say whether the vault is unlocked, and until when",
		Long: `Say whether an agent of ` + "`mysafe unlock`" + ` keeps the vault unlocked, and when it
will forget unless it is used again. Asking does not count as a use. The
exit status is 0 either way; scripts read --json.`,
		Example: "  mysafe status\n  mysafe status --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return statusRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the status as JSON")
	return cmd
}

// statusJSON is the shape of `status --json`.
type statusJSON struct {
	Vault              string `json:"vault"`
	Unlocked           bool   `json:"unlocked"`
	ExpiresAt          string `json:"expires_at,omitempty"`
	IdleTimeoutSeconds int64  `json:"idle_timeout_seconds,omitempty"`
	PID                int    `json:"pid,omitempty"`
}

func statusRun(o *StatusOptions) error {
	f := o.F
	path := f.Config().VaultPath
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	c, err := f.agentClient(path)
	if err != nil {
		return err
	}
	st, err := c.Status()
	if err != nil && !errors.Is(err, agent.ErrNotRunning) {
		return agentErr(err)
	}
	out := statusJSON{Vault: path, Unlocked: err == nil}
	if out.Unlocked {
		out.ExpiresAt = st.ExpiresAt.UTC().Format(time.RFC3339)
		out.IdleTimeoutSeconds = int64(st.IdleTimeout / time.Second)
		out.PID = st.PID
	}
	if o.JSON {
		return writeJSON(f.IO.Out, out)
	}
	if !out.Unlocked {
		_, err = fmt.Fprintf(f.IO.Out, "locked: %s\n", path)
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "unlocked until %s (after %s without use): %s\n", clock(st.ExpiresAt), shortDuration(st.IdleTimeout), path)
	return err
}
