package oauth

import (
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

func TestCacheKey(t *testing.T) {
	base := Request{TokenURL: "https://a.example/token", ClientID: "app", ClientSecret: secret.NewValue("s"),
		Scopes: []string{"read", "write"}, Audience: "https://api.example"}
	key := CacheKey("0123456789abcdef", 3, base)
	same := []Request{base, base, base}
	same[0].Scopes = []string{"write read"}
	same[1].Auth = secret.TokenAuthBasic // the default, spelt out
	same[2].ClientSecret = secret.NewValue("another")
	for i, r := range same {
		if got := CacheKey("0123456789abcdef", 3, r); got != key {
			t.Errorf("same request %d: another key", i)
		}
	}
	differ := map[string]func(r *Request) (string, uint64){
		"record":   func(r *Request) (string, uint64) { return "fedcba9876543210", 3 },
		"revision": func(r *Request) (string, uint64) { return "0123456789abcdef", 4 },
		"endpoint": func(r *Request) (string, uint64) { r.TokenURL += "2"; return "0123456789abcdef", 3 },
		"client":   func(r *Request) (string, uint64) { r.ClientID = "app2"; return "0123456789abcdef", 3 },
		"auth":     func(r *Request) (string, uint64) { r.Auth = secret.TokenAuthForm; return "0123456789abcdef", 3 },
		"scopes":   func(r *Request) (string, uint64) { r.Scopes = []string{"read"}; return "0123456789abcdef", 3 },
		"audience": func(r *Request) (string, uint64) { r.Audience = ""; return "0123456789abcdef", 3 },
		// Fields run into each other only if they are not delimited.
		"shifted": func(r *Request) (string, uint64) {
			r.ClientID, r.TokenURL = "n"+r.ClientID, r.TokenURL[:len(r.TokenURL)-1]
			return "0123456789abcdef", 3
		},
	}
	for name, change := range differ {
		r := base
		r.Scopes = append([]string(nil), base.Scopes...)
		id, rev := change(&r)
		if CacheKey(id, rev, r) == key {
			t.Errorf("%s: same key", name)
		}
	}
}

func TestCacheUntil(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expiresIn time.Duration // 0: no expiry
		want      time.Duration // after now; -1: not cached
	}{
		{time.Hour, time.Hour - time.Minute},
		{5 * time.Minute, 4 * time.Minute},
		{2 * time.Minute, time.Minute},
		{90 * time.Second, 45 * time.Second},
		{10 * time.Second, 5 * time.Second},
		{time.Second, -1},
		{-time.Second, -1},
		{0, -1},
	} {
		tok := Token{}
		if tc.expiresIn != 0 {
			tok.Expiry = now.Add(tc.expiresIn)
		}
		got := tok.CacheUntil(now)
		if tc.want < 0 {
			if !got.IsZero() {
				t.Errorf("expires in %s: cached until %s, want not cached", tc.expiresIn, got)
			}
			continue
		}
		if !got.Equal(now.Add(tc.want)) {
			t.Errorf("expires in %s: cached until +%s, want +%s", tc.expiresIn, got.Sub(now), tc.want)
		}
	}
}
