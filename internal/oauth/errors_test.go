package oauth

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/secret"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		want   error
	}{
		{400, "invalid_client", ErrRejected},
		{401, "invalid_client", ErrRejected},
		{401, "", ErrRejected},
		{200, "invalid_client", ErrRejected}, // servers that answer errors with 200
		{400, "invalid_scope", ErrRefused},
		{400, "invalid_request", ErrRefused},
		{400, "invalid_grant", ErrRefused},
		{400, "unauthorized_client", ErrRefused},
		{400, "unsupported_grant_type", ErrRefused},
		{400, "", ErrRefused},
		{403, "", ErrRefused},
		{404, "", ErrRefused},
		{307, "", ErrRefused},
		{500, "", nil},
		{503, "temporarily_unavailable", nil},
		{502, "server_error", nil},
	} {
		if got := Classify(tc.status, tc.code); got != tc.want {
			t.Errorf("Classify(%d, %q) = %v, want %v", tc.status, tc.code, got, tc.want)
		}
	}
}

func TestCheckEndpoint(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want error // nil: allowed
	}{
		{"https://auth.example.com/oauth2/token", nil},
		{"HTTPS://auth.example.com/token", nil},
		{"http://127.0.0.1:4444/oauth2/token", nil},
		{"http://127.8.9.10/token", nil},
		{"http://[::1]:8080/token", nil},
		{"http://localhost:4444/token", nil},
		{"http://LOCALHOST./token", nil},
		{"http://api.localhost/token", nil},
		{"http://auth.example.com/token", ErrInsecure},
		{"http://10.0.0.1/token", ErrInsecure},
		{"http://[::ffff:10.0.0.1]/token", ErrInsecure},
		{"http://localhost.example.com/token", ErrInsecure},
		{"http://127.0.0.1.nip.io/token", ErrInsecure},
		{"ftp://auth.example.com/token", ErrInvalid},
		{"/oauth2/token", ErrInvalid},
		{"https://user:pw@auth.example.com/token", ErrInvalid},
		{"https://auth.example.com/token#x", ErrInvalid},
		{"https:auth.example.com", ErrInvalid},
	} {
		_, err := CheckEndpoint(tc.url)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("CheckEndpoint(%q) = %v, want %v", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("CheckEndpoint(%q) error shows the password: %v", tc.url, err)
		}
	}
}

func TestNormalizeScopes(t *testing.T) {
	got, err := NormalizeScopes([]string{"read write", "  read", "admin:all", "https://graph.example/.default"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"read", "write", "admin:all", "https://graph.example/.default"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scopes = %q, want %q", got, want)
	}
	if got, err := NormalizeScopes(nil); err != nil || got != nil {
		t.Errorf("no scopes = %q, %v", got, err)
	}
	for _, bad := range []string{`a"b`, `a\b`, "caf\u00e9", "a\x00b"} {
		if _, err := NormalizeScopes([]string{bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeScopes(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestServerErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		e    ServerError
		want string
	}{
		{ServerError{URL: "https://a.example/token", Status: 401, Code: "invalid_client", Description: "Client authentication failed."},
			"the token endpoint https://a.example/token rejected the client credentials (HTTP 401 invalid_client: Client authentication failed.)"},
		{ServerError{URL: "https://a.example/token", Status: 400, Code: "invalid_scope"},
			"the token endpoint https://a.example/token refused the request (HTTP 400 invalid_scope)"},
		{ServerError{URL: "https://a.example/token", Status: 503},
			"the token endpoint https://a.example/token failed (HTTP 503)"},
		{ServerError{URL: "https://a.example/token", Status: 307, Location: "https://b.example/token"},
			"the token endpoint https://a.example/token redirects (307) to https://b.example/token; mysafe does not follow a redirect with a client secret"},
	} {
		tc.e.class = Classify(tc.e.Status, tc.e.Code)
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestOtherAuth(t *testing.T) {
	hydra := "The OAuth 2.0 Client supports client authentication method 'client_secret_post', but method 'client_secret_basic' was requested."
	for _, tc := range []struct {
		auth, desc string
		want       string
		named      bool
	}{
		{secret.TokenAuthBasic, hydra, secret.TokenAuthForm, true},
		{secret.TokenAuthBasic, "Client authentication failed.", secret.TokenAuthForm, false},
		{secret.TokenAuthForm, "supports client authentication method 'client_secret_basic', but method 'client_secret_post' was requested", secret.TokenAuthBasic, true},
		{secret.TokenAuthForm, "bad secret", secret.TokenAuthBasic, false},
	} {
		e := &ServerError{Auth: tc.auth, Description: tc.desc}
		if got, named := e.OtherAuth(); got != tc.want || named != tc.named {
			t.Errorf("OtherAuth(%s, %q) = %s, %v; want %s, %v", tc.auth, tc.desc, got, named, tc.want, tc.named)
		}
	}
}

// fetchFrom runs Fetch against a handler on a loopback listener.
func fetchFrom(t *testing.T, h http.HandlerFunc, opts Options) (*Token, error) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Fetch(context.Background(), Request{TokenURL: srv.URL + "/token", ClientID: "app",
		ClientSecret: secret.NewValue("s3cr3t-never-shown")}, opts)
}

// The answers a misbehaving or hostile endpoint can give are classified,
// and the error never carries the secret or the response body.
func TestFetchOddAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		h     http.HandlerFunc
		class error
		text  string
	}{
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
				return
			}
			t.Errorf("the redirect was followed to %s", r.URL.Path)
		}, ErrRefused, "redirects (307) to /elsewhere"},
		{"HTML with 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>s3cr3t-never-shown echoed</html>")
		}, nil, "the answer is not a token response"},
		{"200 without a token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"token_type":"bearer"}`)
		}, nil, "missing access_token"},
		{"access token with a line break", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"abc\r\nX-Injected: 1","token_type":"bearer"}`)
		}, nil, "an access token holding characters an access token cannot hold"},
		{"access token with an escape sequence", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"abc\u001b]52;c;aGk=\u0007","token_type":"bearer"}`)
		}, nil, "an access token holding characters an access token cannot hold"},
		{"server failure with a body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "s3cr3t-never-shown echoed", http.StatusBadGateway)
		}, nil, "failed (HTTP 502)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fetchFrom(t, tc.h, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.class != nil && !errors.Is(err, tc.class) {
				t.Errorf("%v is not %v", err, tc.class)
			}
			if tc.class == nil && (errors.Is(err, ErrRejected) || errors.Is(err, ErrRefused)) {
				t.Errorf("%v classified as a refusal", err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q lacks %q", err, tc.text)
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), "s3cr3t") {
				t.Errorf("the error carries the secret or the body: %#v", err)
			}
		})
	}
}

func TestFetchTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	_, err := fetchFrom(t, func(w http.ResponseWriter, r *http.Request) { <-release }, Options{Timeout: 200 * time.Millisecond})
	var ne *NetworkError
	if !errors.As(err, &ne) || ne.Timeout != 200*time.Millisecond {
		t.Fatalf("err = %v, want a NetworkError with the timeout", err)
	}
	if !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("message: %v", err)
	}
}

func TestFetchOptionsChecked(t *testing.T) {
	for name, tc := range map[string]struct {
		req  Request
		opts Options
	}{
		"timeout too long":        {Request{TokenURL: "https://a.example/t"}, Options{Timeout: MaxTimeout + 1}},
		"negative timeout":        {Request{TokenURL: "https://a.example/t"}, Options{Timeout: -1}},
		"missing CA file":         {Request{TokenURL: "https://a.example/t"}, Options{CAFile: filepath.Join(t.TempDir(), "none.pem")}},
		"CA file without PEM":     {Request{TokenURL: "https://a.example/t"}, Options{CAFile: writeFile(t, "not a certificate")}},
		"bad scope":               {Request{TokenURL: "https://a.example/t", Scopes: []string{`a"b`}}, Options{}},
		"audience with a newline": {Request{TokenURL: "https://a.example/t", Audience: "a\nb"}, Options{}},
		"unknown auth":            {Request{TokenURL: "https://a.example/t", Auth: "jwt"}, Options{}},
	} {
		if _, err := Fetch(context.Background(), tc.req, tc.opts); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A TLS endpoint whose certificate no trusted authority signed is a
// network error that says so; --ca-file with its certificate fixes it.
func TestFetchTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-1","token_type":"bearer","expires_in":60,"scope":"read"}`)
	}))
	defer srv.Close()
	req := Request{TokenURL: srv.URL + "/token", ClientID: "app", ClientSecret: secret.NewValue("s")}
	_, err := Fetch(context.Background(), req, Options{})
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.UntrustedCertificate() {
		t.Fatalf("err = %v, want an untrusted certificate", err)
	}
	ca := writeFile(t, string(pemOf(srv.Certificate().Raw)))
	tok, err := Fetch(context.Background(), req, Options{CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-1" || tok.Scope != "read" || tok.Expiry.IsZero() {
		t.Errorf("token = %v", tok)
	}
	if strings.Contains(fmt.Sprint(tok, *tok), "tok-1") {
		t.Errorf("printing a Token shows the access token: %v", tok)
	}
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// A server's text, once shown the way the command line shows every error,
// cannot move the cursor, recolour the terminal or hide text with
// bidirectional overrides, and cannot fill the screen.
func TestServerTextIsBoundedAndShownSafely(t *testing.T) {
	e := &ServerError{URL: "https://a.example/token", Status: 400, Code: "invalid_scope\x1b[2J",
		Description: "scope \"x\" unknown\x1b]52;c;aGk=\a \u202egnp.exe " + strings.Repeat("y", 2000)}
	e.class = Classify(e.Status, e.Code)
	msg := display.Safe(e.Error())
	for _, bad := range []string{"\x1b", "\a", "\u202e"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message carries %q: %q", bad, msg)
		}
	}
	if !strings.Contains(msg, `invalid_scope\x1b[2J: scope "x" unknown\x1b]52;c;aGk=\x07 `) {
		t.Errorf("message = %q", msg)
	}
	if len(msg) > 2*maxServerText {
		t.Errorf("message is %d bytes long", len(msg))
	}
}
