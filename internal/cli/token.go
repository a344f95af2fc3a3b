package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/oauth"
	"github.com/mysafe/mysafe/internal/secret"
)

// TokenOptions are the inputs of `mysafe token`.
type TokenOptions struct {
	F         *Factory
	Ref       string
	Scopes    []string
	Audience  string
	TokenURL  string
	TokenAuth string
	CAFile    string
	Timeout   string // "" means the token.timeout setting, else oauth.DefaultTimeout
	JSON      bool
	NoNewline bool
	NoCache   bool
}

// NewCmdToken builds `mysafe token`.
func NewCmdToken(f *Factory) *cobra.Command {
	opts := &TokenOptions{F: f}
	cmd := &cobra.Command{
		Use:   "token REF",
		Short: "Get an OAuth 2.0 access token with an API secret's client ID and secret",
		Long: `Perform the OAuth 2.0 client-credentials grant with the client ID and client
secret of one API secret, and print the access token followed by a newline
(none with -n). With --json, print the token response instead: access_token,
token_type, expires_at and scope. Records the time as the API secret's last
use. The client secret goes only to the token endpoint; the token goes only
to stdout.

The token endpoint is the API secret's token URL (set with
` + "`mysafe edit REF --token-url URL`" + `), else --token-url, else its URL. Only
https endpoints are used, and plain http to this machine (localhost,
127.0.0.1, ::1) for local development. TLS trusts the system's authorities,
plus the certificates in --ca-file. Redirects are not followed.

The client authenticates with HTTP Basic (client_secret_basic) unless the API
secret's token auth or --token-auth says form (client_secret_post).

With the vault unlocked by ` + "`mysafe unlock`" + `, tokens are cached in the agent's
memory until shortly before they expire, per API secret, endpoint, scopes
and audience; --no-cache asks the endpoint anyway and caches nothing.
Without the agent nothing is cached, and never on disk.

Exit codes: 4 when the endpoint rejects the client credentials, 2 when it
refuses the request (such as an unknown scope), 1 when it cannot be reached.`,
		Example: `  mysafe token payments-prod
  curl -H "Authorization: Bearer $(mysafe token payments-prod -n)" https://api.pay.example/v2/balance
  mysafe token payments-prod --scope read --scope write --audience https://api.pay.example
  mysafe token payments-prod --token-url https://auth.pay.example/oauth2/token --token-auth form --json`,
		Args: exactArgs(1, "one REF"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			return tokenRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Scopes, "scope", nil, "scope to ask for (repeatable; \"a b\" asks for both)")
	fl.StringVar(&opts.Audience, "audience", "", "the API the token is for, where the server wants an audience parameter")
	fl.StringVar(&opts.TokenURL, "token-url", "", "token endpoint, for an API secret without a token URL")
	fl.StringVar(&opts.TokenAuth, "token-auth", "", "send the client secret by basic (HTTP Basic) or form (in the body); default: the API secret's token auth, else basic")
	fl.StringVar(&opts.CAFile, "ca-file", "", "PEM `FILE` of certificate authorities to trust besides the system's")
	fl.StringVar(&opts.Timeout, "timeout", "", "give up after this long (e.g. 30s; at most 10m; default: setting token.timeout, else 30s)")
	fl.BoolVar(&opts.JSON, "json", false, "print the token response as JSON")
	fl.BoolVarP(&opts.NoNewline, "no-newline", "n", false, "do not print a trailing newline")
	fl.BoolVar(&opts.NoCache, "no-cache", false, "ask the token endpoint even when the agent holds a token, and cache nothing")
	return cmd
}

// tokenJSON is the documented shape of `mysafe token --json`.
type tokenJSON struct {
	AccessToken string     `json:"access_token"`
	TokenType   string     `json:"token_type"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Scope       string     `json:"scope"`
}

func tokenRun(o *TokenOptions) error {
	f := o.F
	// Everything that can be checked without the vault is checked first,
	// so nobody types a passphrase for a request that cannot be made.
	if o.JSON && o.NoNewline {
		return usageErr("-n goes without --json")
	}
	scopes, err := oauth.NormalizeScopes(o.Scopes)
	if err != nil {
		return err
	}
	auth, err := secret.NormalizeTokenAuth(o.TokenAuth)
	if err != nil {
		return usageErr("--token-auth: " + strings.TrimPrefix(err.Error(), secret.FieldTokenAuth.Name()+": "))
	}
	timeout, err := tokenTimeout(f, o.Timeout)
	if err != nil {
		return err
	}
	if o.TokenURL != "" {
		if _, err := oauth.CheckEndpoint(o.TokenURL); err != nil {
			return tokenErr(err, o.Ref)
		}
	}

	// A shared lock while the endpoint answers: other mysafe commands can
	// read meanwhile.
	v, r, err := openFind(f, o.Ref)
	if err != nil {
		return err
	}
	defer v.Close()
	// A vault whose log was changed sends no client secret anywhere.
	if err := checkLogForUse(v); err != nil {
		return err
	}
	req, err := tokenRequest(r, o.Ref, o.TokenURL, auth, scopes, o.Audience)
	if err != nil {
		return err
	}

	tok, err := fetchToken(f, v.Path(), r, req, oauth.Options{Timeout: timeout, CAFile: o.CAFile}, o.NoCache)
	if err != nil {
		return tokenErr(err, o.Ref)
	}

	if err := writeToken(f, tok, scopes, o.JSON, o.NoNewline); err != nil {
		return err
	}
	// The last use is recorded like reveal's, once the token is out: a
	// vault this user may only read is used without recording.
	if err := v.Reopen(false); readOnlyVault(err) {
		f.notRecorded()
		return nil
	} else if err != nil {
		return err
	}
	return recordUse(v, logEntry(audit.Token, r, ""))
}

func writeToken(f *Factory, tok *oauth.Token, asked []string, asJSON, noNewline bool) error {
	if asJSON {
		j := tokenJSON{AccessToken: tok.AccessToken, TokenType: tok.TokenType, Scope: tok.Scope}
		if j.Scope == "" {
			// RFC 6749 section 5.1: no scope in the answer means the one asked for.
			j.Scope = strings.Join(asked, " ")
		}
		if !tok.Expiry.IsZero() {
			t := tok.Expiry.UTC().Truncate(time.Second)
			j.ExpiresAt = &t
		}
		return writeJSON(f.IO.Out, j)
	}
	var err error
	if noNewline {
		_, err = fmt.Fprint(f.IO.Out, tok.AccessToken)
	} else {
		_, err = fmt.Fprintln(f.IO.Out, tok.AccessToken)
	}
	return err
}
