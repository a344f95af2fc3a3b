package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/mysafe/mysafe/internal/agent"
	"github.com/mysafe/mysafe/internal/config"
	"github.com/mysafe/mysafe/internal/oauth"
	"github.com/mysafe/mysafe/internal/ref"
	"github.com/mysafe/mysafe/internal/secret"
)

// This file is the ground floor of OAuth 2.0 tokens: how a command fetches
// an access token for an API secret (`mysafe token`, and the
// mysafe://REF/token references of exec and inject), the agent's cache
// included. The protocol is in internal/oauth.

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
