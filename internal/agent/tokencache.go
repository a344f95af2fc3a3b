package agent

import (
	"errors"
	"time"
)

// CachedToken is an OAuth 2.0 access token the agent keeps for
// `mysafe token`, in memory only, while the vault is unlocked.
type CachedToken struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type,omitempty"`
	Scope       string    `json:"scope,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
	// UseUntil is when the agent stops handing the token out: shortly
	// before ExpiresAt, so a caller never gets a token about to expire.
	UseUntil time.Time `json:"use_until"`
}

// Bounds on the token cache: a token bigger than maxCachedToken is not
// kept (requests and answers are at most maxMessage), and past maxTokens
// entries the one closest to its end makes room.
const (
	maxCachedToken = 8 << 10
	maxTokens      = 256
)

const (
	opTokenGet = "token-get" // the cached token for key, if still usable; not a use
	opTokenPut = "token-put" // keep a token under key; not a use
)

// errTokenSize is returned by PutToken for a token too large to keep.
var errTokenSize = errors.New("token too large to cache")

// Token returns the token cached under key, if the agent holds one it may
// still hand out. ErrNotRunning means the vault is locked; an agent that
// does not know tokens answers with an error too, which callers treat as a
// miss. Asking does not restart the agent's idle timeout.
func (c Client) Token(key string) (CachedToken, bool, error) {
	r, err := c.call(request{Op: opTokenGet, Key: key})
	if err != nil || r.Token == nil {
		return CachedToken{}, false, err
	}
	return *r.Token, true, nil
}

// PutToken asks the agent to keep t under key until t.UseUntil.
func (c Client) PutToken(key string, t CachedToken) error {
	if len(t.AccessToken) > maxCachedToken {
		return errTokenSize
	}
	_, err := c.call(request{Op: opTokenPut, Key: key, Token: &t})
	return err
}

// tokenOp answers a token request; the caller holds st.mu.
func (s *state) tokenOp(req request, now time.Time) response {
	for k, t := range s.tokens {
		if !now.Before(t.UseUntil) {
			delete(s.tokens, k)
		}
	}
	switch {
	case req.Key == "":
		return response{Error: "bad token request"}
	case req.Op == opTokenGet:
		r := response{OK: true}
		if t, ok := s.tokens[req.Key]; ok {
			r.Token = &t
		}
		return r
	case req.Token == nil || req.Token.AccessToken == "" || len(req.Token.AccessToken) > maxCachedToken || !now.Before(req.Token.UseUntil):
		return response{Error: "bad token request"}
	}
	if s.tokens == nil {
		s.tokens = map[string]CachedToken{}
	}
	if _, ok := s.tokens[req.Key]; !ok && len(s.tokens) >= maxTokens {
		first := ""
		for k, t := range s.tokens {
			if first == "" || t.UseUntil.Before(s.tokens[first].UseUntil) {
				first = k
			}
		}
		delete(s.tokens, first)
	}
	s.tokens[req.Key] = *req.Token
	return response{OK: true}
}
