package importer

import (
	"net/url"
	"strings"

	"github.com/mysafe/mysafe/internal/secret"
)

// kind is what a named value in a source most likely is.
type kind int

const (
	kindOther kind = iota
	kindURL
	kindTokenURL
	kindClientID
	kindSecret
	kindMethod
)

// Names (lower case, letters and digits only) that say what a value is. A
// name matches when it equals one of them or ends with one, so
// STRIPE_CLIENT_ID and payments.clientSecret are recognised too. These lists
// are read, never changed.
var (
	tokenURLNames = []string{"tokenurl", "tokenuri", "tokenendpoint", "oauthtokenurl", "accesstokenurl", "authtokenurl"}
	urlNames      = []string{"url", "uri", "baseurl", "host", "hostname", "endpoint", "website", "server", "address"}
	clientIDNames = []string{"clientid", "appid", "applicationid", "consumerkey", "accesskeyid", "keyid", "apikeyid", "username", "user", "login", "email"}
	secretNames   = []string{"clientsecret", "secret", "apisecret", "apikey", "key", "token", "apitoken", "accesstoken", "authtoken", "bearertoken", "password", "pass", "passwd", "pwd", "credential", "credentials", "consumersecret", "secretkey", "secretaccesskey", "privatekey"}
	methodNames   = []string{"method", "httpmethod"}
)

// squash lower-cases a name and keeps only its letters and digits.
func squash(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func matches(s string, names []string) bool {
	for _, n := range names {
		if s == n || strings.HasSuffix(s, n) {
			return true
		}
	}
	return false
}

// classify tells from a value's name which field it belongs to. The token
// URL is tried before the URL, and the client ID before the secret, so that
// OAUTH_TOKEN_URL is not a URL and API_KEY_ID is not a key.
func classify(name string) kind {
	s := squash(name)
	switch {
	case s == "":
		return kindOther
	case matches(s, tokenURLNames):
		return kindTokenURL
	case matches(s, urlNames):
		return kindURL
	case matches(s, clientIDNames):
		return kindClientID
	case matches(s, secretNames):
		return kindSecret
	case matches(s, methodNames):
		return kindMethod
	}
	return kindOther
}

// looksLikeURL reports whether v is an http(s) URL or a bare hostname, so a
// DATABASE_URL holding postgres://user:password@host stays a secret.
func looksLikeURL(v string) bool {
	return secret.ValidateURL(secret.URLFromHost(v)) == nil && !hasPassword(secret.URLFromHost(v))
}

func hasPassword(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return false
	}
	_, set := p.User.Password()
	return set
}
