// Package oauth turns a stored client ID and client secret into an OAuth 2.0
// access token with the client-credentials grant (RFC 6749 section 4.4).
//
// It decides which token endpoints may receive a client secret (https, or
// plain http to a loopback address only), builds the HTTP client that talks
// to them (system roots plus an optional extra CA, bounded timeouts, no
// redirects), and classifies the endpoint's answers so callers can map them
// to exit codes with errors.Is. The grant itself is
// golang.org/x/oauth2/clientcredentials.
//
// The client secret never appears in an error this package returns.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mysafe/mysafe/internal/secret"
)

// Request is one client-credentials grant.
type Request struct {
	// TokenURL is the token endpoint; see CheckEndpoint for what is allowed.
	TokenURL     string
	ClientID     string
	ClientSecret secret.Value
	// Auth is secret.TokenAuthBasic (also when empty) or
	// secret.TokenAuthForm.
	Auth string
	// Scopes are sent space-separated as the scope parameter; none means
	// the server's default.
	Scopes []string
	// Audience, when set, is sent as the audience parameter, which many
	// servers (Auth0, Ory Hydra, Okta) use to choose the API a token is for.
	Audience string
}

// Timeouts bound a token request.
const (
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 10 * time.Minute
)

// Options tune the HTTP client.
type Options struct {
	// Timeout bounds the whole exchange: connecting, TLS, sending and
	// reading the answer. Zero means DefaultTimeout; it must not exceed
	// MaxTimeout.
	Timeout time.Duration
	// CAFile names a PEM file of certificates trusted in addition to the
	// system roots.
	CAFile string
}

// Token is a token endpoint's successful answer.
type Token struct {
	AccessToken string
	TokenType   string
	// Expiry is when the token expires; zero when the server did not say.
	Expiry time.Time
	// Scope is the granted scope as the server returned it (space
	// separated); empty when the server did not say, which per RFC 6749
	// means the requested scope was granted.
	Scope string
}

// String never shows the access token, so a Token printed by mistake does
// not leak it.
func (t Token) String() string {
	return fmt.Sprintf("oauth.Token{TokenType: %q, Expiry: %s, Scope: %q, AccessToken: (elided)}", t.TokenType, t.Expiry, t.Scope)
}

// Fetch performs the grant and returns the token. Its errors wrap:
// ErrInvalid for a request that is wrong before anything is sent (bad scope
// syntax, a timeout out of bounds, an unreadable CA file) and ErrInsecure
// for an endpoint that may not receive a secret; a *ServerError (ErrRejected
// or ErrRefused, or neither for a server failure) when the endpoint answers
// with an error; a *NetworkError when it cannot be reached or its TLS
// certificate is not trusted.
func Fetch(ctx context.Context, req Request, opts Options) (*Token, error) {
	endpoint, err := CheckEndpoint(req.TokenURL)
	if err != nil {
		return nil, err
	}
	scopes, err := NormalizeScopes(req.Scopes)
	if err != nil {
		return nil, err
	}
	if err := CheckAudience(req.Audience); err != nil {
		return nil, err
	}
	style := oauth2.AuthStyleInHeader
	switch req.Auth {
	case "", secret.TokenAuthBasic:
	case secret.TokenAuthForm:
		style = oauth2.AuthStyleInParams
	default:
		return nil, fmt.Errorf("%w: unknown token authentication %q (want basic or form)", ErrInvalid, req.Auth)
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < 0 || timeout > MaxTimeout {
		return nil, fmt.Errorf("%w: timeout %s is out of range (at most %s)", ErrInvalid, timeout, MaxTimeout)
	}
	client, err := newHTTPClient(endpoint, timeout, opts.CAFile)
	if err != nil {
		return nil, err
	}

	cfg := clientcredentials.Config{
		ClientID:     req.ClientID,
		ClientSecret: req.ClientSecret.Reveal(),
		TokenURL:     endpoint.String(),
		Scopes:       scopes,
		AuthStyle:    style,
	}
	if req.Audience != "" {
		cfg.EndpointParams = url.Values{"audience": {req.Audience}}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	tok, err := cfg.Token(ctx)
	if err != nil {
		return nil, explain(ctx, err, endpoint, req.Auth, timeout)
	}
	if !isVSChars(tok.AccessToken) {
		// RFC 6749 appendix A.12: an access token is printable ASCII. One
		// with a line break or an escape sequence would act on a terminal,
		// or add a header to the request a script builds with it.
		return nil, fmt.Errorf("the token endpoint %s answered with an access token holding characters an access token cannot hold", endpoint.Redacted())
	}
	t := &Token{AccessToken: tok.AccessToken, TokenType: tok.TokenType, Expiry: tok.Expiry}
	if s, ok := tok.Extra("scope").(string); ok {
		t.Scope = s
	}
	return t, nil
}

// NormalizeScopes splits each argument on spaces (so "a b" and "a", "b" are
// the same request), drops duplicates and checks each scope token against
// RFC 6749 section 3.3: printable ASCII without space, quote or backslash.
func NormalizeScopes(in []string) ([]string, error) {
	var out []string
	for _, arg := range in {
		for _, s := range strings.Fields(arg) {
			for i := 0; i < len(s); i++ {
				if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
					return nil, fmt.Errorf("%w: scope %q has a character a scope cannot hold", ErrInvalid, s)
				}
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// CheckAudience checks an audience parameter: one line of text of at most
// secret.MaxFieldLen bytes. The error wraps ErrInvalid.
func CheckAudience(a string) error {
	if !utf8.ValidString(a) || strings.IndexFunc(a, unicode.IsControl) >= 0 || len(a) > secret.MaxFieldLen {
		return fmt.Errorf("%w: the audience must be one line of text", ErrInvalid)
	}
	return nil
}

// ErrInvalid is wrapped by errors about the request itself, found before
// anything is sent.
var ErrInvalid = errors.New("invalid token request")

// isVSChars reports whether s is only printable ASCII, space included.
func isVSChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
