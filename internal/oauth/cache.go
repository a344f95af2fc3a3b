package oauth

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

// CacheKey names the token req would get, for a token cache. It covers the
// record (its id and revision, so any change to it, a new secret included,
// starts afresh), the endpoint, the client ID, the client authentication,
// the scopes in any order and the audience. It is a hash: a cache learns
// none of them.
func CacheKey(recordID string, revision uint64, req Request) string {
	scopes, _ := NormalizeScopes(req.Scopes)
	slices.Sort(scopes)
	auth := req.Auth
	if auth == "" {
		auth = secret.TokenAuthBasic
	}
	h := sha256.New()
	field := func(s string) {
		h.Write(binary.AppendUvarint(nil, uint64(len(s))))
		h.Write([]byte(s))
	}
	field("mysafe token cache key v1")
	field(recordID)
	field(string(binary.AppendUvarint(nil, revision)))
	field(req.TokenURL)
	field(req.ClientID)
	field(auth)
	field(req.Audience)
	for _, s := range scopes {
		field(s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cacheMargin is how long before its expiry a cached token stops being
// handed out, so a caller has time to use it.
const cacheMargin = time.Minute

// CacheUntil is until when a cache may hand t out: a minute before it
// expires, or halfway through what is left of a token that lives less than
// two minutes. It is zero, meaning do not cache, for a token without an
// expiry or one already (nearly) expired.
func (t Token) CacheUntil(now time.Time) time.Time {
	if t.Expiry.IsZero() {
		return time.Time{}
	}
	left := t.Expiry.Sub(now)
	margin := min(cacheMargin, left/2)
	if left-margin < time.Second {
		return time.Time{}
	}
	return t.Expiry.Add(-margin)
}
