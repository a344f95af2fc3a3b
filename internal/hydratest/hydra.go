// Package hydratest runs a real Ory Hydra OAuth 2.0 server for tests: in
// memory, on loopback ports, with clients created through its admin API.
//
// The hydra binary is found through MYSAFE_TEST_HYDRA, then PATH, then
// $GOPATH/bin; .ci/run builds it from tools/hydra. Where it is absent, Start
// skips the test with the reason, except under CI=true, where it fails.
package hydratest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// TB is the part of testing.TB (and of a testscript's TestScript) Start
// needs.
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Server is a running Hydra.
type Server struct {
	PublicURL string // http://127.0.0.1:PORT
	AdminURL  string
	TokenURL  string // PublicURL + /oauth2/token

	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedBuffer
}

// Binary returns the path of the hydra binary, or an error saying where it
// was looked for.
func Binary() (string, error) {
	if p := os.Getenv("MYSAFE_TEST_HYDRA"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("MYSAFE_TEST_HYDRA: %v", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("hydra"); err == nil {
		return p, nil
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "hydra")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no hydra binary in MYSAFE_TEST_HYDRA, PATH or $GOPATH/bin (build it with .ci/run, or: cd tools/hydra && go build -tags sqlite,sqlite_omit_load_extension -o \"$(go env GOPATH)/bin/hydra\" github.com/ory/hydra/v2)")
}

// Start runs Hydra and waits until it is ready; where there is no hydra
// binary it skips the test, or fails it under CI=true. Stop it with Close.
func Start(t TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true needs Ory Hydra: %v", err)
		}
		t.Skipf("skipping: needs Ory Hydra: %v", err)
	}
	s, err := Run(bin)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return s
}

// Run starts the hydra binary bin and waits until it is ready.
func Run(bin string) (*Server, error) {
	pub, err := freePort()
	if err != nil {
		return nil, err
	}
	admin, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		PublicURL: "http://127.0.0.1:" + pub,
		AdminURL:  "http://127.0.0.1:" + admin,
		done:      make(chan struct{}),
		log:       &lockedBuffer{},
	}
	s.TokenURL = s.PublicURL + "/oauth2/token"
	s.cmd = exec.Command(bin, "serve", "all", "--dev")
	s.cmd.Env = append(os.Environ(),
		"DSN=memory",
		"SECRETS_SYSTEM="+randomHex(32),
		"SERVE_PUBLIC_HOST=127.0.0.1", "SERVE_PUBLIC_PORT="+pub,
		"SERVE_ADMIN_HOST=127.0.0.1", "SERVE_ADMIN_PORT="+admin,
		"URLS_SELF_ISSUER="+s.PublicURL+"/",
		"LOG_LEVEL=info",
		"TTL_ACCESS_TOKEN=1h",
	)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start hydra: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.AdminURL + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("hydra exited while starting:\n%s", s.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("hydra not ready after two minutes:\n%s", s.log.String())
		}
	}
}

// Close stops Hydra.
func (s *Server) Close() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
}

// Log returns what Hydra printed so far.
func (s *Server) Log() string { return s.log.String() }

// Client is an OAuth 2.0 client to create.
type Client struct {
	ID     string
	Secret string
	// AuthMethod is client_secret_basic or client_secret_post.
	AuthMethod string
	Scopes     []string
	Audience   []string
}

// CreateClient registers c with the client-credentials grant.
func (s *Server) CreateClient(c Client) error {
	body, _ := json.Marshal(map[string]any{
		"client_id":                  c.ID,
		"client_secret":              c.Secret,
		"grant_types":                []string{"client_credentials"},
		"token_endpoint_auth_method": c.AuthMethod,
		"scope":                      strings.Join(c.Scopes, " "),
		"audience":                   append([]string{}, c.Audience...),
	})
	resp, err := http.Post(s.AdminURL+"/admin/clients", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("create client %s: %s: %s", c.ID, resp.Status, b)
	}
	return nil
}

// SetLifespan makes the access tokens client id gets live for d.
func (s *Server) SetLifespan(id string, d time.Duration) error {
	body, _ := json.Marshal(map[string]string{"client_credentials_grant_access_token_lifespan": d.String()})
	req, err := http.NewRequest(http.MethodPut, s.AdminURL+"/admin/clients/"+url.PathEscape(id)+"/lifespans", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("set lifespan of %s: %s: %s", id, resp.Status, b)
	}
	return nil
}

// Counter is a pass-through proxy in front of Hydra's public endpoint that
// counts the token requests it forwards, so a test can tell which calls
// reached the token endpoint.
type Counter struct {
	TokenURL string
	srv      *http.Server
	mu       sync.Mutex
	n        int
}

// Count starts a Counter.
func (s *Server) Count() (*Counter, error) {
	target, err := url.Parse(s.PublicURL)
	if err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &Counter{TokenURL: "http://" + ln.Addr().String() + "/oauth2/token"}
	proxy := httputil.NewSingleHostReverseProxy(target)
	c.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/token" {
			c.mu.Lock()
			c.n++
			c.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	})}
	go c.srv.Serve(ln)
	return c, nil
}

// Requests returns how many token requests went through.
func (c *Counter) Requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Close stops the Counter.
func (c *Counter) Close() { c.srv.Close() }

// Introspection is Hydra's view of a token (RFC 7662).
type Introspection struct {
	Active   bool     `json:"active"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	Audience []string `json:"aud"`
	Expiry   int64    `json:"exp"`
}

// Introspect asks Hydra's admin API about a token.
func (s *Server) Introspect(token string) (Introspection, error) {
	var in Introspection
	resp, err := http.PostForm(s.AdminURL+"/admin/oauth2/introspect", url.Values{"token": {token}})
	if err != nil {
		return in, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return in, fmt.Errorf("introspect: %s", resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&in)
	return in, err
}

// RandomSecret returns a fresh client secret.
func RandomSecret() string { return "hydra-test-" + randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort finds a loopback port nobody listens on.
func freePort() (string, error) {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %v", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
