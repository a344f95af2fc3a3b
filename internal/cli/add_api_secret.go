package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// AddOptions are the inputs of `mysafe add api-secret`.
type AddOptions struct {
	F          *Factory
	Name       string
	URL        string
	ClientID   string
	Identifier string
	Method     string
	Tags       []string
	Notes      string
	TokenURL   string
	TokenAuth  string
	Secret     secretSource
	JSON       bool
}

// NewCmdAddAPISecret builds `mysafe add api-secret`.
func NewCmdAddAPISecret(f *Factory) *cobra.Command {
	opts := &AddOptions{F: f}
	cmd := &cobra.Command{
		Use:   "api-secret",
		Short: "Add an API secret",
		Long: `Add an API secret. Name, URL and client ID are required; at a terminal,
missing ones are asked for, and so is the client secret (without echo).
Without a terminal, give the client secret with --client-secret-stdin or
--client-secret-file: it is never accepted as a flag value.`,
		Example: `  mysafe add api-secret --name payments-prod --url https://api.pay.example/v2 \
    --client-id app-42 --identifier payments-prod --method post --tag prod --tag payments \
    --client-secret-file ./secret.txt`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return addRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, secret.FieldName.Name(), "", "name of the API secret (required)")
	fl.StringVar(&opts.URL, secret.FieldURL.Name(), "", "absolute http(s) URL of the API (required)")
	fl.StringVar(&opts.ClientID, secret.FieldClientID.Name(), "", "client ID (required)")
	fl.StringVar(&opts.Identifier, secret.FieldIdentifier.Name(), "", "identifier, unique in the vault")
	fl.StringVar(&opts.Method, secret.FieldMethod.Name(), "", "HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS")
	fl.StringArrayVar(&opts.Tags, "tag", nil, "tag (repeatable)")
	fl.StringVar(&opts.Notes, secret.FieldNotes.Name(), "", "free-text notes")
	fl.StringVar(&opts.TokenURL, secret.FieldTokenURL.Name(), "", "OAuth 2.0 token endpoint, when it is not the URL (for `mysafe token`)")
	fl.StringVar(&opts.TokenAuth, secret.FieldTokenAuth.Name(), "", "how `mysafe token` sends the client secret: basic (default) or form")
	fl.BoolVar(&opts.JSON, "json", false, "print the saved record as JSON")
	opts.Secret.addFlags(cmd)
	return cmd
}

func addRun(o *AddOptions) error {
	f := o.F
	r := &secret.Record{
		Name: o.Name, URL: o.URL, ClientID: o.ClientID, Identifier: o.Identifier,
		Method: o.Method, Tags: o.Tags, Notes: o.Notes, TokenURL: o.TokenURL, TokenAuth: o.TokenAuth,
	}
	prompt := f.IO.CanPrompt()
	if prompt && (r.Name == "" || r.URL == "" || r.ClientID == "" || !o.Secret.given()) {
		// Unlock first: a mistyped passphrase must not cost the fields.
		if err := f.Unlock(); err != nil {
			return err
		}
	}
	for _, q := range []struct {
		field secret.Field
		dst   *string
		check func(string) error
	}{
		{secret.FieldName, &r.Name, nil},
		{secret.FieldURL, &r.URL, secret.ValidateURL},
		{secret.FieldClientID, &r.ClientID, nil},
	} {
		if *q.dst != "" {
			continue
		}
		if !prompt {
			return usageErr(fmt.Sprintf("missing required --%s (no terminal to ask for it)", q.field.Name()))
		}
		for *q.dst == "" {
			ans, err := f.Prompter.Line(q.field.Label() + ": ")
			if err != nil {
				return err
			}
			if q.check != nil && ans != "" {
				if err := q.check(ans); err != nil {
					fmt.Fprintln(f.IO.ErrOut, "mysafe: "+display.Safe(err.Error()))
					continue
				}
			}
			*q.dst = ans
		}
	}
	if o.Secret.given() {
		v, err := o.Secret.read(f)
		if err != nil {
			return err
		}
		r.ClientSecret = v
	} else if prompt {
		b, err := f.Prompter.Secret("Client secret (input hidden, empty for none): ")
		if err != nil {
			return err
		}
		r.ClientSecret = secret.NewValueBytes(b)
	}
	if err := r.Normalize(); err != nil {
		return err
	}

	err := f.Update(func(tx *vault.Tx) error {
		if err := claimNew(tx, r); err != nil {
			return err
		}
		if err := tx.Put(r); err != nil {
			return err
		}
		return tx.Log(logEntry(audit.Add, r, ""))
	})
	if err != nil {
		return conflictHint(err)
	}
	return printSaved(f, r, o.JSON)
}

// claimNew makes a new record the vault owner's: owner, permission, first
// revision, times (kept when an import brought them) and the access list.
func claimNew(tx *vault.Tx, r *secret.Record) error {
	claim, err := claimer(tx)
	if err != nil {
		return err
	}
	claim(r)
	return nil
}

// printSaved prints a saved record as JSON (data), or says it was saved
// (chatter).
func printSaved(f *Factory, r *secret.Record, asJSON bool) error {
	if asJSON {
		return writeJSON(f.IO.Out, r.ToJSON())
	}
	f.chatter("API secret saved: %s", describe(r))
	return nil
}
