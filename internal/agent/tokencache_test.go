package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTokenCache(t *testing.T) {
	c, _ := startServer(t, os.Getuid(), time.Minute)
	now := time.Now()
	tok := CachedToken{AccessToken: "at-1", TokenType: "bearer", Scope: "read", ExpiresAt: now.Add(time.Hour), UseUntil: now.Add(59 * time.Minute)}

	if _, ok, err := c.Token("k1"); err != nil || ok {
		t.Fatalf("empty cache: ok %v, err %v", ok, err)
	}
	if err := c.PutToken("k1", tok); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Token("k1")
	if err != nil || !ok || got.AccessToken != "at-1" || got.Scope != "read" || !got.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("Token(k1) = %+v, %v, %v", got, ok, err)
	}
	if _, ok, _ := c.Token("k2"); ok {
		t.Error("another key got the token")
	}

	// A token past its use-until is never handed out, and one already past
	// it is not taken.
	soon := tok
	// The window is long enough for the request to reach a busy agent;
	// the test then waits until it has passed.
	soon.UseUntil = time.Now().Add(2 * time.Second)
	if err := c.PutToken("soon", soon); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(soon.UseUntil) + 50*time.Millisecond)
	if _, ok, _ := c.Token("soon"); ok {
		t.Error("a token past its use-until was handed out")
	}
	stale := tok
	stale.UseUntil = time.Now().Add(-time.Second)
	if err := c.PutToken("stale", stale); err == nil {
		t.Error("a stale token was taken")
	}
	big := tok
	big.AccessToken = strings.Repeat("x", maxCachedToken+1)
	if err := c.PutToken("big", big); !errors.Is(err, errTokenSize) {
		t.Errorf("PutToken(big) = %v", err)
	}

	// Locking forgets everything.
	if _, err := c.Lock(); err != nil {
		t.Fatal(err)
	}
	// At once, even before the agent's listener has closed.
	if _, ok, err := c.Token("k1"); ok || !errors.Is(err, ErrNotRunning) {
		t.Errorf("after lock: ok %v, err %v", ok, err)
	}
}

// Another user's process gets no token: the peer check covers these
// requests as it covers the identity.
func TestTokenCacheRefusesOtherUID(t *testing.T) {
	c, _ := startServer(t, os.Getuid()+1, time.Minute)
	if _, ok, err := c.Token("k1"); ok || err == nil {
		t.Fatalf("Token from another uid: ok %v, err %v", ok, err)
	}
}

func TestTokenCacheBounded(t *testing.T) {
	st := &state{}
	now := time.Now()
	for i := range maxTokens + 10 {
		r := st.tokenOp(request{Op: opTokenPut, Key: fmt.Sprint(i), Token: &CachedToken{AccessToken: "t",
			UseUntil: now.Add(time.Hour + time.Duration(i)*time.Second)}}, now)
		if !r.OK {
			t.Fatalf("put %d: %s", i, r.Error)
		}
	}
	if len(st.tokens) != maxTokens {
		t.Fatalf("%d tokens kept, want %d", len(st.tokens), maxTokens)
	}
	if _, ok := st.tokens["0"]; ok {
		t.Error("the token closest to its end was kept over newer ones")
	}
	if _, ok := st.tokens[fmt.Sprint(maxTokens+9)]; !ok {
		t.Error("the newest token was dropped")
	}
}

// An unlock with another identity (another vault's key in the same place)
// drops the tokens cached under the old one; the same identity keeps them.
func TestTokenCacheForgetsOnNewIdentity(t *testing.T) {
	c, _ := startServer(t, os.Getuid(), time.Minute)
	tok := CachedToken{AccessToken: "at-1", UseUntil: time.Now().Add(time.Hour)}
	if err := c.PutToken("k1", tok); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Identity()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Unlock(st.Vault, id, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Token("k1"); !ok {
		t.Fatal("the same identity lost the token")
	}
	if _, err := c.Unlock(st.Vault, "AGE-SECRET-KEY-1OTHER", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Token("k1"); ok {
		t.Error("a token outlived the identity it was cached under")
	}
}

// A request that reaches the agent after a lock but before its listener
// closes gets nothing: here the listener stays open on purpose.
func TestLockForgetsAtOnce(t *testing.T) {
	sock := filepath.Join(shortDir(t), "a.sock")
	ln, release, err := listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	t.Cleanup(func() { ln.Close() })
	st := &state{identity: testIdentity, vault: "/v.db", timeout: time.Minute}
	st.touch()
	st.tokens = map[string]CachedToken{"k1": {AccessToken: "at-1", UseUntil: time.Now().Add(time.Hour)}}
	go func() {
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			handle(c, st)
			c.Close()
		}
	}()
	c := Client{Socket: sock}
	if _, err := c.Lock(); err != nil {
		t.Fatal(err)
	}
	if tok, ok, err := c.Token("k1"); ok || tok.AccessToken != "" || !errors.Is(err, ErrNotRunning) {
		t.Errorf("token after lock: %+v, ok %v, err %v", tok, ok, err)
	}
	if id, err := c.Identity(); id != "" || !errors.Is(err, ErrNotRunning) {
		t.Errorf("identity after lock: %q, %v", id, err)
	}
}
