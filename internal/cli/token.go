package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/agent"
	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/config"
	"github.com/mysafe/mysafe/internal/oauth"
	"github.com/mysafe/mysafe/internal/ref"
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

// tokenTimeout is how long a grant may take: flag when given (--timeout),
// else the token.timeout setting, else oauth.DefaultTimeout.
func tokenTimeout(f *Factory, flag string) (time.Duration, error) {
	timeout, name := f.Config().TokenTimeout, "token.timeout"
	if flag != "" {
		var err error
		if timeout, err = config.ParseDuration(flag); err != nil {
			return 0, usageErr("--timeout: " + err.Error())
		}
		name = "--timeout"
	} else if timeout == 0 {
		timeout = oauth.DefaultTimeout
	}
	if timeout <= 0 || timeout > oauth.MaxTimeout {
		return 0, usageErr(fmt.Sprintf("%s must be more than 0 and at most %s", name, oauth.MaxTimeout))
	}
	return timeout, nil
}

// fetchToken performs the grant req for record r of the vault at vaultPath,
// or takes the token from that vault's agent, which keeps what it fetched
// until shortly before it expires. Without an agent (the vault is not
// unlocked with `mysafe unlock`), without a vault (vaultPath is empty: a
// bundle), or with noCache, it just asks the endpoint: nothing is cached
// anywhere else. An agent that fails is a miss, never an error.
func fetchToken(f *Factory, vaultPath string, r *secret.Record, req oauth.Request, opts oauth.Options, noCache bool) (*oauth.Token, error) {
	fetch := func() (*oauth.Token, error) { return oauth.Fetch(f.Context(), req, opts) }
	if noCache || vaultPath == "" {
		return fetch()
	}
	c, err := f.agentClient(vaultPath)
	if err != nil {
		return fetch()
	}
	key := oauth.CacheKey(r.ID, r.Revision, req)
	ct, ok, err := c.Token(key)
	switch {
	case err == nil && ok:
		return &oauth.Token{AccessToken: ct.AccessToken, TokenType: ct.TokenType, Expiry: ct.ExpiresAt, Scope: ct.Scope}, nil
	case err != nil:
		// Locked, or an agent that cannot cache: no point offering it one.
		return fetch()
	}
	tok, err := fetch()
	if err != nil {
		return nil, err
	}
	// The expiry is the endpoint's, on the real clock, whatever the
	// command's clock says.
	if until := tok.CacheUntil(time.Now()); !until.IsZero() {
		_ = c.PutToken(key, agent.CachedToken{AccessToken: tok.AccessToken, TokenType: tok.TokenType,
			Scope: tok.Scope, ExpiresAt: tok.Expiry, UseUntil: until})
	}
	return tok, nil
}

// refToken fetches the access token a mysafe://REF/token reference asks
// for, with the API secret rec it names, as `mysafe token REF` would without
// flags: the stored endpoint and authentication, the token.timeout setting,
// the agent's cache when the vault at vaultPath is unlocked by it.
func refToken(f *Factory, vaultPath string, rec *secret.Record, r ref.Ref) (string, error) {
	timeout, err := tokenTimeout(f, "")
	if err != nil {
		return "", err
	}
	req, err := tokenRequest(rec, r.Record, "", "", r.Scopes(), r.Audience)
	if err != nil {
		return "", err
	}
	tok, err := fetchToken(f, vaultPath, rec, req, oauth.Options{Timeout: timeout}, false)
	if err != nil {
		return "", tokenErr(fmt.Errorf("%s: %w", r, err), r.Record)
	}
	return tok.AccessToken, nil
}

// tokenRequest builds the grant for record r. The endpoint is the record's
// token URL, else flagURL, else the record's URL; a flag that disagrees with
// the record's own token URL is refused rather than silently ignored.
func tokenRequest(r *secret.Record, ref, flagURL, flagAuth string, scopes []string, audience string) (oauth.Request, error) {
	endpoint := r.TokenEndpoint()
	switch {
	case r.TokenURL != "" && flagURL != "" && flagURL != r.TokenURL:
		return oauth.Request{}, &exitError{class: errUsage,
			msg:  fmt.Sprintf("%s has its own token URL %s; --token-url is for API secrets without one", describe(r), r.TokenURL),
			hint: "change it with `mysafe edit " + ref + " --token-url URL`"}
	case r.TokenURL == "" && flagURL != "":
		endpoint = flagURL
	}
	if r.ClientSecret.IsZero() {
		return oauth.Request{}, noSecretErr(r, ref)
	}
	auth := flagAuth
	if auth == "" {
		auth = r.TokenAuth
	}
	return oauth.Request{TokenURL: endpoint, ClientID: r.ClientID, ClientSecret: r.ClientSecret,
		Auth: auth, Scopes: scopes, Audience: audience}, nil
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

// tokenErr adds the hint that fits a failed grant.
func tokenErr(err error, ref string) error {
	var se *oauth.ServerError
	var ne *oauth.NetworkError
	switch {
	case errors.As(err, &se) && errors.Is(err, oauth.ErrRejected):
		other, named := se.OtherAuth()
		hint := fmt.Sprintf("check the client ID and secret; if the server expects the secret %s, use --token-auth %s or `mysafe edit %s --token-auth %s`",
			authPlace(other), other, ref, other)
		if named {
			hint = fmt.Sprintf("the server expects the secret %s: use --token-auth %s or `mysafe edit %s --token-auth %s`", authPlace(other), other, ref, other)
		}
		return withHint(errLocked, err, hint)
	case errors.As(err, &se) && se.Location != "":
		return withHint(errUsage, err, "use the address it redirects to as the token URL")
	case errors.As(err, &ne) && ne.UntrustedCertificate():
		return withHint(nil, err, "if the server uses a private certificate authority, give its certificate with --ca-file")
	case errors.As(err, &ne) && ne.Timeout > 0:
		return withHint(nil, err, "raise --timeout, or check the token URL")
	case errors.Is(err, oauth.ErrInsecure):
		return withHint(errUsage, err, "use the https address of the token endpoint")
	}
	return err
}

func authPlace(auth string) string {
	if auth == secret.TokenAuthForm {
		return "in the form body (client_secret_post)"
	}
	return "in an HTTP Basic header (client_secret_basic)"
}
