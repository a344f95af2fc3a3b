package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/clipboard"
	"github.com/mysafe/mysafe/internal/config"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// RevealOptions are the inputs of `mysafe reveal`.
type RevealOptions struct {
	F          *Factory
	Ref        string
	Field      string
	NoNewline  bool
	Copy       bool
	OSC52      bool
	ClearAfter string // "" means the clipboard.clear_after setting
	JSON       bool
	Version    int // 0: the current version
	Bundle     bundleSource
}

// NewCmdReveal builds `mysafe reveal`.
func NewCmdReveal(f *Factory) *cobra.Command {
	opts := &RevealOptions{F: f}
	cmd := &cobra.Command{
		Use:   "reveal REF",
		Short: "Print an API secret's client secret (or another field)",
		Long: `Print the client secret of one API secret, or the field named by --field,
followed by a newline (none with -n). Records the time as the API secret's
last use. Piped, stdout carries exactly the value.

With --copy the value goes to the clipboard instead and is never printed; a
detached helper clears it after --clear-after (default 45s, setting
clipboard.clear_after; 0 = never), but only if the clipboard still holds it.
Over SSH or without a display, --copy uses the terminal's clipboard (OSC 52),
which cannot be cleared automatically.

With --bundle FILE the value comes from a share bundle instead of a vault
(a CI job): the bundle must be addressed to the age identity in
MYSAFE_IDENTITY (or MYSAFE_IDENTITY_FILE) and signed by the person whose
contact card --signer (or MYSAFE_SIGNER) gives. Nothing is recorded.
With --team-dir CHECKOUT it comes from a checkout of a team repository: the
newest revision addressed to that identity and signed by its owner, one of
the members whose cards --signer (repeatable) or MYSAFE_SIGNER (one a line)
give (see docs/teams.md).`,
		Example: "  mysafe reveal payments-prod\n  TOKEN=$(mysafe reveal payments-prod -n)\n  mysafe reveal payments-prod --field client-id\n  mysafe reveal payments-prod --copy --clear-after 20s",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return revealRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Field, "field", secret.FieldClientSecret.Name(), "field to reveal: "+orList(secret.FieldNames()))
	cmd.Flags().BoolVarP(&opts.NoNewline, "no-newline", "n", false, "do not print a trailing newline")
	cmd.Flags().BoolVarP(&opts.Copy, "copy", "c", false, "copy to the clipboard instead of printing")
	cmd.Flags().BoolVar(&opts.OSC52, "osc52", false, "with --copy, use the terminal's clipboard (OSC 52), e.g. over SSH")
	cmd.Flags().StringVar(&opts.ClearAfter, "clear-after", "", "with --copy, clear the clipboard after this long (e.g. 45s; 0 = never)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print every field, client secret included, as one JSON object")
	cmd.Flags().IntVar(&opts.Version, "version", 0, "reveal an earlier version (see `mysafe history`)")
	opts.Bundle.addFlags(cmd)
	cmd.MarkFlagsMutuallyExclusive("json", "field")
	cmd.MarkFlagsMutuallyExclusive("json", "copy")
	cmd.MarkFlagsMutuallyExclusive("json", "no-newline")
	return cmd
}

// revealUse is what a reveal hands over, for its audit log entry.
type revealUse struct {
	action  audit.Action
	field   string // the field's name; empty: every field
	version int    // an earlier version; 0: the current one
}

// entry is the audit log entry of the use of r.
func (u revealUse) entry(r *secret.Record) audit.Entry {
	detail := u.field
	if detail == "" {
		detail = "every field"
	}
	if u.version > 0 {
		detail += fmt.Sprintf(" of version %d", u.version)
	}
	return logEntry(u.action, r, detail)
}

// revealRecord finds the API secret ref names (or its earlier version
// u.version) and hands it to use, and records the use in the audit log, which
// is also the API secret's last use, in the same transaction once use has
// succeeded: a reveal that fails writes nothing. The vault is opened for
// writing; a vault this user may only read (a read-only mount, a 0400 file
// in CI) is still revealed, without recording, and the command says so.
// With a bundle source the record comes from the bundle: no vault is opened
// and nothing is recorded.
func revealRecord(f *Factory, ref string, src bundleSource, u revealUse, use func(*secret.Record) error) error {
	if u.version < 0 {
		return usageErr("--version: versions are numbered from 1 (see `mysafe history`)")
	}
	if src.active() {
		if u.version > 0 {
			return usageErr("--version reads a vault's history; a bundle or team checkout has none")
		}
		find, err := src.finder(f)
		if err != nil {
			return err
		}
		r, err := find(ref)
		if err != nil {
			return err
		}
		return use(r)
	}
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	defer v.Close()
	writable := true
	if err := v.Reopen(false); readOnlyVault(err) {
		writable = false
		err = v.Reopen(true)
	}
	if err != nil {
		return err
	}
	// find finds the record and the version asked for.
	find := func(tx *vault.Tx) (r, shown *secret.Record, err error) {
		if r, err = tx.Find(ref); err != nil {
			return nil, nil, err
		}
		shown = r
		if u.version > 0 {
			if shown, err = tx.Version(r.ID, u.version); err != nil {
				return nil, nil, versionErr(err, ref)
			}
		}
		return r, shown, nil
	}
	// A vault that may not be written while the rollback guard cannot
	// record its generation is still revealed, without recording the use.
	var noRecord error
	if writable {
		noRecord = v.CanRecord()
	}
	if !writable || noRecord != nil {
		if err := v.View(func(tx *vault.Tx) error {
			_, shown, err := find(tx)
			if err != nil {
				return err
			}
			if err := tx.CheckLogForUse(); err != nil {
				return err
			}
			return use(shown)
		}); err != nil {
			return err
		}
		if noRecord != nil {
			f.warnState("use not recorded", noRecord)
		} else {
			f.notRecorded()
		}
		return nil
	}
	// The log is checked before the value is handed over: a vault whose
	// log was tampered with reveals nothing.
	return v.Update(func(tx *vault.Tx) error {
		r, shown, err := find(tx)
		if err != nil {
			return err
		}
		if err := tx.Log(u.entry(r)); err != nil {
			return err
		}
		if err := tx.CheckLog(); err != nil {
			return err
		}
		return use(shown)
	})
}

// fieldValue returns field of r, refusing an empty client secret: handing
// a script nothing would only fail later, less clearly.
func fieldValue(r *secret.Record, field secret.Field, ref string, src bundleSource) (string, error) {
	v := field.Value(r)
	if v != "" || field != secret.FieldClientSecret {
		return v, nil
	}
	if src.active() {
		return "", &exitError{class: errNotFound, msg: fmt.Sprintf("%s has no client secret", describe(r)),
			hint: "ask its sender to set one and share it again"}
	}
	return "", noSecretErr(r, ref)
}

func revealRun(o *RevealOptions) error {
	if o.JSON {
		return revealJSONRun(o)
	}
	field, err := secret.ParseField(o.Field)
	if err != nil {
		return err
	}
	if o.Copy {
		return copyRun(o, field)
	}
	if o.OSC52 || o.ClearAfter != "" {
		return usageErr("--osc52 and --clear-after go with --copy")
	}
	u := revealUse{action: audit.Reveal, field: field.Name(), version: o.Version}
	return revealRecord(o.F, o.Ref, o.Bundle, u, func(r *secret.Record) error {
		value, err := fieldValue(r, field, o.Ref, o.Bundle)
		if err != nil {
			return err
		}
		if o.F.IO.StdoutTTY {
			// A person is reading: a value that carries escape sequences (a
			// note from someone else's bundle) must not act on the terminal.
			value = display.Safe(value)
		}
		if o.NoNewline {
			_, err = fmt.Fprint(o.F.IO.Out, value)
		} else {
			_, err = fmt.Fprintln(o.F.IO.Out, value)
		}
		return err
	})
}

// revealJSONRun prints the whole record, client secret included, in the
// shape of `export --format json`'s objects.
func revealJSONRun(o *RevealOptions) error {
	u := revealUse{action: audit.Reveal, version: o.Version}
	return revealRecord(o.F, o.Ref, o.Bundle, u, func(r *secret.Record) error {
		return writeJSON(o.F.IO.Out, r.ToExport())
	})
}

// copyRun puts the value on the clipboard. The clipboard is checked before
// the vault is unlocked, so nobody types a passphrase for nothing.
func copyRun(o *RevealOptions, field secret.Field) error {
	f := o.F
	clearAfter := f.Config().ClipboardClearAfter
	if o.ClearAfter != "" {
		d, err := config.ParseDuration(o.ClearAfter)
		if err != nil {
			return usageErr("--clear-after: " + err.Error())
		}
		clearAfter = d
	}
	opts := clipboard.Options{ClearAfter: clearAfter, OSC52: o.OSC52, HelperCommand: f.ClipboardHelper}
	if f.IO.OpenTTY != nil && (f.IO.StdinTTY || f.IO.StdoutTTY || f.IO.StderrTTY) {
		if tty, err := f.IO.OpenTTY(); err == nil {
			defer tty.Close()
			opts.Terminal = tty
		}
	}
	env := clipboard.SystemEnv()
	env.Getenv = f.Getenv
	if _, err := clipboard.Select(env, opts); err != nil {
		return clipboardErr(err)
	}
	var res clipboard.Result
	var name string
	u := revealUse{action: audit.Copy, field: field.Name(), version: o.Version}
	err := revealRecord(f, o.Ref, o.Bundle, u, func(r *secret.Record) error {
		value, err := fieldValue(r, field, o.Ref, o.Bundle)
		if err != nil {
			return err
		}
		if value == "" {
			return &exitError{class: errNotFound, msg: fmt.Sprintf("%s of %s is empty: nothing to copy", field.Label(), describe(r))}
		}
		name = r.Name
		res, err = clipboard.Copy(context.Background(), env, []byte(value), opts)
		return clipboardErr(err)
	})
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%s of %s", field.Label(), name)
	switch {
	case res.ClearScheduled:
		f.chatter("%s copied; clears in %s", what, res.ClearAfter)
	case res.Backend == clipboard.OSC52:
		f.notice("%s copied through the terminal (OSC 52); it cannot be cleared automatically: copy something else when done", what)
	default:
		f.notice("%s copied; it will not be cleared", what)
	}
	return nil
}

func clipboardErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, clipboard.ErrUnavailable) {
		return &exitError{class: errNotFound, err: err}
	}
	return err
}
