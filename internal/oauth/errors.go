package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mysafe/mysafe/internal/secret"
)

// Classes of a token endpoint's error answer, for errors.Is.
var (
	// ErrRejected: the endpoint did not accept the client's credentials
	// (invalid_client, or HTTP 401).
	ErrRejected = errors.New("client credentials rejected")
	// ErrRefused: the endpoint refused the request itself (invalid_scope,
	// invalid_request, unauthorized_client, any other 4xx, or a redirect).
	ErrRefused = errors.New("token request refused")
)

// ServerError is a token endpoint's error answer. Its fields come from the
// server as it sent them, and Error repeats them (cut to a bounded length):
// a caller showing it to a person escapes it first, as the command line does
// with every error (internal/display).
type ServerError struct {
	URL         string // the token endpoint
	Status      int    // the HTTP status
	Code        string // the OAuth error code, such as invalid_client; may be empty
	Description string // error_description; may be empty
	Location    string // where a redirect pointed
	// Auth is the client authentication that was used (basic or form).
	Auth string
	// class is ErrRejected, ErrRefused or nil (a server failure).
	class error
}

// Classify sorts a token endpoint's error answer, by its HTTP status and
// OAuth error code (RFC 6749 section 5.2): ErrRejected for invalid_client or
// 401, ErrRefused for the other codes, any other 4xx and redirects, nil for
// a server failure (5xx, or an error without a code that is not a 4xx).
func Classify(status int, code string) error {
	switch {
	case code == "invalid_client" || status == http.StatusUnauthorized:
		return ErrRejected
	case status >= 500:
		return nil
	case code != "", status >= 300 && status < 500:
		return ErrRefused
	}
	return nil
}

func (e *ServerError) Error() string {
	var what string
	switch {
	case e.Location != "":
		return fmt.Sprintf("the token endpoint %s redirects (%d) to %s; mysafe does not follow a redirect with a client secret", e.URL, e.Status, bounded(e.Location))
	case errors.Is(e.class, ErrRejected):
		what = "rejected the client credentials"
	case errors.Is(e.class, ErrRefused):
		what = "refused the request"
	default:
		what = "failed"
	}
	detail := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != "" {
		detail += " " + bounded(e.Code)
	}
	if e.Description != "" {
		detail += ": " + bounded(e.Description)
	}
	return fmt.Sprintf("the token endpoint %s %s (%s)", e.URL, what, detail)
}

// Unwrap returns the class: ErrRejected, ErrRefused or nil.
func (e *ServerError) Unwrap() error { return e.class }

// OtherAuth returns the client authentication to suggest when the endpoint
// rejected this one, and whether the server's answer names it outright
// (some servers, Ory Hydra among them, say which method the client is
// registered for).
func (e *ServerError) OtherAuth() (auth string, named bool) {
	d := strings.ToLower(e.Description)
	auth, other := secret.TokenAuthForm, "client_secret_post"
	if e.Auth == secret.TokenAuthForm {
		auth, other = secret.TokenAuthBasic, "client_secret_basic"
	}
	return auth, strings.Contains(d, other)
}

// NetworkError is a failure to reach the endpoint or to trust it.
type NetworkError struct {
	URL     string
	Timeout time.Duration // set when the exchange ran out of time
	Err     error
}

func (e *NetworkError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("cannot get a token from %s: no answer within %s", e.URL, e.Timeout)
	}
	return fmt.Sprintf("cannot get a token from %s: %v", e.URL, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// UntrustedCertificate reports whether the endpoint's TLS certificate was
// not signed by a trusted authority, the case --ca-file is for.
func (e *NetworkError) UntrustedCertificate() bool {
	var ua x509.UnknownAuthorityError
	var cv *tls.CertificateVerificationError
	return errors.As(e.Err, &ua) || (errors.As(e.Err, &cv) && errors.As(cv.Err, &ua))
}

// explain turns what the oauth2 package returned into one of this
// package's errors. It never includes the response body, which a server
// could fill with anything, or the request, which holds the secret.
func explain(ctx context.Context, err error, endpoint *url.URL, auth string, timeout time.Duration) error {
	where := endpoint.Redacted()
	if auth == "" {
		auth = secret.TokenAuthBasic
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		se := &ServerError{URL: where, Code: re.ErrorCode, Description: re.ErrorDescription, Auth: auth}
		if re.Response != nil {
			se.Status = re.Response.StatusCode
			if se.Status >= 300 && se.Status < 400 {
				se.Location = re.Response.Header.Get("Location")
				if se.Location == "" {
					se.Location = "(no Location)"
				}
			}
		}
		se.class = Classify(se.Status, se.Code)
		return se
	}
	if errors.Is(err, ErrInsecure) {
		return err
	}
	ne := &NetworkError{URL: where, Err: err}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		ne.Timeout = timeout
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		ne.Err = ue.Err // its text repeats the URL
	}
	if msg := ne.Err.Error(); strings.HasPrefix(msg, "oauth2: ") {
		// An answer that is not a token response, such as HTML with 200.
		ne.Err = fmt.Errorf("the answer is not a token response (%s)", strings.TrimPrefix(msg, "oauth2: "))
	}
	return ne
}

// maxServerText bounds how much of a server's text an error repeats.
const maxServerText = 512

// bounded cuts text from a server to maxServerText bytes.
func bounded(s string) string {
	if len(s) <= maxServerText {
		return s
	}
	return strings.ToValidUTF8(s[:maxServerText], "") + "..."
}
