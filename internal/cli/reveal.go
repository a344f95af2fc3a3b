package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

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
contact card --signer (or MYSAFE_SIGNER) gives. Nothing is recorded.`,
		Example: "  mysafe reveal payments-prod\n  TOKEN=$(mysafe reveal payments-prod -n)\n  mysafe reveal payments-prod --field client-id\n  mysafe reveal payments-prod --copy --clear-after 20s",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return revealRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Field, "field", secret.FieldClientSecret, "field to reveal: client-secret, client-id, url, identifier, name, method, notes, token-url or token-auth")
	cmd.Flags().BoolVarP(&opts.NoNewline, "no-newline", "n", false, "do not print a trailing newline")
	cmd.Flags().BoolVarP(&opts.Copy, "copy", "c", false, "copy to the clipboard instead of printing")
	cmd.Flags().BoolVar(&opts.OSC52, "osc52", false, "with --copy, use the terminal's clipboard (OSC 52), e.g. over SSH")
	cmd.Flags().StringVar(&opts.ClearAfter, "clear-after", "", "with --copy, clear the clipboard after this long (e.g. 45s; 0 = never)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print every field, client secret included, as one JSON object")
	opts.Bundle.addFlags(cmd)
	cmd.MarkFlagsMutuallyExclusive("json", "field")
	cmd.MarkFlagsMutuallyExclusive("json", "copy")
	cmd.MarkFlagsMutuallyExclusive("json", "no-newline")
	return cmd
}

// revealing is one reveal: the vault, opened once (nil when the value
// came from a bundle), and the value read.
type revealing struct {
	v        *vault.Vault
	writable bool
	r        *secret.Record
	value    string
}

// openReveal opens the vault and reads the field. The vault is opened for
// writing, to record the last use; a vault this user may only read (a
// read-only mount, a 0400 file in CI) is still revealed, without recording.
// With a bundle source, the record comes from the bundle and no vault is
// opened.
func openReveal(f *Factory, ref, field string, src bundleSource) (*revealing, error) {
	if _, err := (&secret.Record{}).FieldValue(field); err != nil {
		return nil, err
	}
	rv := &revealing{writable: true}
	var err error
	if src.Path != "" {
		var find func(string) (*secret.Record, error)
		if find, err = src.finder(f); err == nil {
			rv.r, err = find(ref)
		}
		if err == nil {
			rv.value, _ = rv.r.FieldValue(field)
		}
	} else {
		err = rv.openVault(f, ref, field)
	}
	if err == nil && rv.value == "" && fieldLabel(field) == "Client secret" {
		err = noSecretErr(rv.r, ref)
		if src.Path != "" {
			err = &exitError{class: errNotFound, msg: fmt.Sprintf("%s has no client secret", describe(rv.r)),
				hint: "ask its sender to set one and share it again"}
		}
	}
	if err != nil {
		rv.close()
		return nil, err
	}
	return rv, nil
}

// openVault opens the vault for openReveal and reads the record and field.
func (rv *revealing) openVault(f *Factory, ref, field string) error {
	v, err := f.OpenVault(true)
	if err != nil {
		return err
	}
	if err := v.Reopen(false); errors.Is(err, fs.ErrPermission) {
		rv.writable = false
		err = v.Reopen(true)
	}
	if err != nil {
		v.Close()
		return err
	}
	rv.v = v
	return v.View(func(tx *vault.Tx) (err error) {
		if rv.r, err = tx.Find(ref); err != nil {
			return err
		}
		rv.value, _ = rv.r.FieldValue(field)
		return nil
	})
}

// close releases the vault, if one was opened.
func (rv *revealing) close() {
	if rv.v != nil {
		rv.v.Close()
	}
}

// noSecretErr is the error for using the client secret of a record that
// has none.
func noSecretErr(r *secret.Record, ref string) error {
	return &exitError{class: errNotFound, msg: fmt.Sprintf("%s has no client secret", describe(r)),
		hint: "set one with `mysafe edit " + ref + " --client-secret-stdin`"}
}

// openFind opens the vault with a shared lock and finds the record ref
// names. The caller closes the vault, and may Reopen it for writing.
func openFind(f *Factory, ref string) (*vault.Vault, *secret.Record, error) {
	v, err := f.OpenVault(true)
	if err != nil {
		return nil, nil, err
	}
	var r *secret.Record
	if err := v.View(func(tx *vault.Tx) (err error) {
		r, err = tx.Find(ref)
		return err
	}); err != nil {
		v.Close()
		return nil, nil, err
	}
	return v, r, nil
}

// recordUse stores the time of this use, once the value has been handed
// over: a reveal that fails writes nothing. A value read from a bundle has
// no vault to record it in.
func (rv *revealing) recordUse(f *Factory) error {
	if rv.v == nil {
		return nil
	}
	defer rv.close()
	if !rv.writable {
		f.chatter("mysafe: note: the vault is read-only here; last use not recorded")
		return nil
	}
	return rv.v.Update(func(tx *vault.Tx) error {
		r, err := tx.Find(rv.r.ID)
		if err != nil {
			return err
		}
		r.LastUsedAt = tx.Now()
		return tx.Put(r)
	})
}

func revealRun(o *RevealOptions) error {
	if o.JSON {
		return revealJSONRun(o)
	}
	if o.Copy {
		return copyRun(o)
	}
	if o.OSC52 || o.ClearAfter != "" {
		return usageErr("--osc52 and --clear-after go with --copy")
	}
	rv, err := openReveal(o.F, o.Ref, o.Field, o.Bundle)
	if err != nil {
		return err
	}
	value := rv.value
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
	if err != nil {
		rv.close()
		return err
	}
	return rv.recordUse(o.F)
}

// revealJSONRun prints the whole record, client secret included, in the
// shape of `export --format json`'s objects.
func revealJSONRun(o *RevealOptions) error {
	rv, err := openReveal(o.F, o.Ref, secret.FieldName, o.Bundle)
	if err != nil {
		return err
	}
	if err := writeJSON(o.F.IO.Out, rv.r.ToExport()); err != nil {
		rv.close()
		return err
	}
	return rv.recordUse(o.F)
}

// fieldLabel names a field for messages.
func fieldLabel(field string) string {
	switch strings.ReplaceAll(strings.ToLower(field), "_", "-") {
	case secret.FieldClientSecret, "secret":
		return "Client secret"
	case secret.FieldClientID:
		return "Client ID"
	case secret.FieldURL:
		return "URL"
	case secret.FieldIdentifier:
		return "Identifier"
	case secret.FieldName:
		return "Name"
	case secret.FieldMethod:
		return "Method"
	case secret.FieldTokenURL:
		return "Token URL"
	case secret.FieldTokenAuth:
		return "Token auth"
	}
	return "Notes"
}

// copyRun puts the value on the clipboard. The clipboard is checked before
// the vault is unlocked, so nobody types a passphrase for nothing.
func copyRun(o *RevealOptions) error {
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
	rv, err := openReveal(f, o.Ref, o.Field, o.Bundle)
	if err != nil {
		return err
	}
	r := rv.r
	if rv.value == "" {
		rv.close()
		return &exitError{class: errNotFound, msg: fmt.Sprintf("%s of %s is empty: nothing to copy", fieldLabel(o.Field), describe(r))}
	}
	res, err := clipboard.Copy(context.Background(), env, []byte(rv.value), opts)
	if err != nil {
		rv.close()
		return clipboardErr(err)
	}
	if err := rv.recordUse(f); err != nil {
		return err
	}
	what := fmt.Sprintf("%s of %s", fieldLabel(o.Field), r.Name)
	switch {
	case res.ClearScheduled:
		f.chatter("%s copied; clears in %s", what, res.ClearAfter)
	case res.Backend == clipboard.OSC52:
		f.chatter("%s copied through the terminal (OSC 52); it cannot be cleared automatically: copy something else when done", what)
	default:
		f.chatter("%s copied; it will not be cleared", what)
	}
	return nil
}

func clipboardErr(err error) error {
	if errors.Is(err, clipboard.ErrUnavailable) {
		return &exitError{class: errNotFound, err: err}
	}
	return err
}
