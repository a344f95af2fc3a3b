package cli

import (
	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// EditOptions are the inputs of `mysafe edit`. A nil field is left alone.
type EditOptions struct {
	F          *Factory
	Ref        string
	Name       *string
	URL        *string
	ClientID   *string
	Identifier *string
	Method     *string
	Notes      *string
	TokenURL   *string
	TokenAuth  *string
	Secret     secretSource
}

// NewCmdEdit builds `mysafe edit`.
func NewCmdEdit(f *Factory) *cobra.Command {
	opts := &EditOptions{F: f}
	var name, url, clientID, identifier, method, notes, tokenURL, tokenAuth string
	cmd := &cobra.Command{
		Use:   "edit REF",
		Short: "Change fields of an API secret",
		Long: `Change only the fields given; everything else stays as it is. An empty
--identifier, --method, --notes, --token-url or --token-auth clears that
field. Tags are changed with
` + "`mysafe tag`" + `.`,
		Example: "  mysafe edit payments-prod --url https://api.pay.example/v3\n  mysafe edit payments-prod --client-secret-stdin < new-secret.txt",
		Args:    exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			fl := cmd.Flags()
			for flag, pair := range map[string]struct {
				dst **string
				val *string
			}{
				secret.FieldName.Name(): {&opts.Name, &name}, secret.FieldURL.Name(): {&opts.URL, &url}, secret.FieldClientID.Name(): {&opts.ClientID, &clientID},
				secret.FieldIdentifier.Name(): {&opts.Identifier, &identifier}, secret.FieldMethod.Name(): {&opts.Method, &method}, secret.FieldNotes.Name(): {&opts.Notes, &notes},
				secret.FieldTokenURL.Name(): {&opts.TokenURL, &tokenURL}, secret.FieldTokenAuth.Name(): {&opts.TokenAuth, &tokenAuth},
			} {
				if fl.Changed(flag) {
					*pair.dst = pair.val
				}
			}
			return editRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, secret.FieldName.Name(), "", "new name")
	fl.StringVar(&url, secret.FieldURL.Name(), "", "new URL")
	fl.StringVar(&clientID, secret.FieldClientID.Name(), "", "new client ID")
	fl.StringVar(&identifier, secret.FieldIdentifier.Name(), "", "new identifier (empty to remove)")
	fl.StringVar(&method, secret.FieldMethod.Name(), "", "new HTTP method (empty to remove)")
	fl.StringVar(&notes, secret.FieldNotes.Name(), "", "new notes (empty to remove)")
	fl.StringVar(&tokenURL, secret.FieldTokenURL.Name(), "", "new OAuth 2.0 token endpoint (empty to use the URL)")
	fl.StringVar(&tokenAuth, secret.FieldTokenAuth.Name(), "", "new token authentication: basic or form (empty for basic)")
	opts.Secret.addFlags(cmd)
	return cmd
}

func editRun(o *EditOptions) error {
	if o.Name == nil && o.URL == nil && o.ClientID == nil && o.Identifier == nil && o.Method == nil && o.Notes == nil &&
		o.TokenURL == nil && o.TokenAuth == nil && !o.Secret.given() {
		return usageErr("nothing to change: give at least one field flag (see `mysafe edit --help`)")
	}
	var newSecret secret.Value
	if o.Secret.given() {
		var err error
		if newSecret, err = o.Secret.read(o.F); err != nil {
			return err
		}
	}
	var r *secret.Record
	err := o.F.Update(func(tx *vault.Tx) (err error) {
		if r, err = findEditable(tx, o.Ref, "edit"); err != nil {
			return err
		}
		before, _ := r.MarshalBinary()
		for _, s := range []struct {
			src *string
			dst *string
		}{{o.Name, &r.Name}, {o.URL, &r.URL}, {o.ClientID, &r.ClientID}, {o.Identifier, &r.Identifier}, {o.Method, &r.Method}, {o.Notes, &r.Notes},
			{o.TokenURL, &r.TokenURL}, {o.TokenAuth, &r.TokenAuth}} {
			if s.src != nil {
				*s.dst = *s.src
			}
		}
		if o.Secret.given() {
			r.ClientSecret = newSecret
		}
		if err := r.Normalize(); err != nil {
			return err
		}
		if after, _ := r.MarshalBinary(); string(after) == string(before) {
			return errUnchanged // keep the file and the times as they are
		}
		touch(r, tx)
		if err := tx.Put(r); err != nil {
			return err
		}
		return tx.Log(logEntry(audit.Edit, r, changedDetail(tx, r)))
	})
	if err != nil {
		return conflictHint(err)
	}
	o.F.chatter("API secret saved: %s", describe(r))
	return nil
}
