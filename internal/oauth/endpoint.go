package oauth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrInsecure is wrapped by the error for a token endpoint that may not
// receive a client secret.
var ErrInsecure = errors.New("insecure token endpoint")

// CheckEndpoint parses a token endpoint URL and decides whether a client
// secret may be sent to it: https anywhere, plain http only to a loopback
// address (127.0.0.0/8, ::1 or the name localhost), for local development
// and tests. It also refuses credentials in the URL itself. The error wraps
// ErrInsecure or ErrInvalid.
func CheckEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: token URL %q is not an absolute URL", ErrInvalid, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: the token URL must not hold a user name or password", ErrInvalid)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("%w: the token URL must not have a #fragment", ErrInvalid)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u, nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return u, nil
		}
		return nil, fmt.Errorf("%w: %s is plain http: mysafe sends a client secret only over https, or over http to this machine (localhost, 127.0.0.1, ::1)", ErrInsecure, u.Redacted())
	}
	return nil, fmt.Errorf("%w: token URL %s is not http(s)", ErrInvalid, u.Redacted())
}

// IsLoopback reports whether host (a name or an IP address, without port
// or brackets) names this machine: localhost, a name under .localhost, or a
// loopback address. A name is trusted only because the HTTP client checks,
// when it connects, that the address it reached is a loopback one.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
