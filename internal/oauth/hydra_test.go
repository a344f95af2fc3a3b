package oauth

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mysafe/mysafe/internal/hydratest"
	"github.com/mysafe/mysafe/internal/secret"
)

// These tests run the client-credentials grant against a real Ory Hydra.
func TestHydra(t *testing.T) {
	h := hydratest.Start(t)
	defer h.Close()
	basic := hydratest.Client{ID: "basic-app", Secret: hydratest.RandomSecret(), AuthMethod: "client_secret_basic",
		Scopes: []string{"read", "write"}, Audience: []string{"https://api.example"}}
	form := hydratest.Client{ID: "form-app", Secret: hydratest.RandomSecret(), AuthMethod: "client_secret_post",
		Scopes: []string{"read"}}
	for _, c := range []hydratest.Client{basic, form} {
		if err := h.CreateClient(c); err != nil {
			t.Fatal(err)
		}
	}
	fetch := func(c hydratest.Client, auth, secretText string, scopes ...string) (*Token, error) {
		return Fetch(context.Background(), Request{TokenURL: h.TokenURL, ClientID: c.ID, ClientSecret: secret.NewValue(secretText),
			Auth: auth, Scopes: scopes}, Options{Timeout: 20 * time.Second})
	}

	t.Run("token accepted by introspection", func(t *testing.T) {
		tok, err := Fetch(context.Background(), Request{TokenURL: h.TokenURL, ClientID: basic.ID,
			ClientSecret: secret.NewValue(basic.Secret), Scopes: []string{"read write"}, Audience: "https://api.example"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		in, err := h.Introspect(tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if !in.Active || in.ClientID != basic.ID || in.Scope != "read write" || len(in.Audience) != 1 || in.Audience[0] != "https://api.example" {
			t.Errorf("introspection = %+v", in)
		}
		if !strings.EqualFold(tok.TokenType, "bearer") || tok.Scope != "read write" {
			t.Errorf("token type %q, scope %q", tok.TokenType, tok.Scope)
		}
		if d := time.Until(tok.Expiry); d < 50*time.Minute || d > time.Hour {
			t.Errorf("expires in %s, want about an hour", d)
		}
		if in.Expiry != tok.Expiry.Unix() && in.Expiry != tok.Expiry.Unix()+1 && in.Expiry != tok.Expiry.Unix()-1 {
			t.Errorf("Hydra's expiry %d, ours %d", in.Expiry, tok.Expiry.Unix())
		}
	})

	t.Run("form authentication", func(t *testing.T) {
		tok, err := fetch(form, secret.TokenAuthForm, form.Secret, "read")
		if err != nil {
			t.Fatal(err)
		}
		if in, err := h.Introspect(tok.AccessToken); err != nil || !in.Active || in.ClientID != form.ID {
			t.Errorf("introspection = %+v, %v", in, err)
		}
	})

	t.Run("wrong authentication style is explained", func(t *testing.T) {
		for _, tc := range []struct {
			c         hydratest.Client
			used, fix string
		}{{form, secret.TokenAuthBasic, secret.TokenAuthForm}, {basic, secret.TokenAuthForm, secret.TokenAuthBasic}} {
			_, err := fetch(tc.c, tc.used, tc.c.Secret)
			var se *ServerError
			if !errors.As(err, &se) || !errors.Is(err, ErrRejected) {
				t.Fatalf("%s with %s: err = %v, want rejected", tc.c.ID, tc.used, err)
			}
			if got, named := se.OtherAuth(); got != tc.fix || !named {
				t.Errorf("%s with %s: OtherAuth = %s, %v; want %s named by the server (%q)", tc.c.ID, tc.used, got, named, tc.fix, se.Description)
			}
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		wrong := "not-the-" + basic.Secret
		_, err := fetch(basic, secret.TokenAuthBasic, wrong)
		var se *ServerError
		if !errors.As(err, &se) || !errors.Is(err, ErrRejected) || se.Status != 401 || se.Code != "invalid_client" {
			t.Fatalf("err = %#v, want invalid_client 401", err)
		}
		if strings.Contains(err.Error(), wrong) {
			t.Errorf("the error shows the secret: %v", err)
		}
		if _, named := se.OtherAuth(); named {
			t.Errorf("a wrong secret blamed on the authentication style: %q", se.Description)
		}
	})

	t.Run("unknown scope", func(t *testing.T) {
		_, err := fetch(basic, secret.TokenAuthBasic, basic.Secret, "admin")
		var se *ServerError
		if !errors.As(err, &se) || !errors.Is(err, ErrRefused) || errors.Is(err, ErrRejected) || se.Code != "invalid_scope" {
			t.Fatalf("err = %v, want invalid_scope refused", err)
		}
	})

	t.Run("unreachable endpoint", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nobody listens there now
		_, err = Fetch(context.Background(), Request{TokenURL: "http://" + addr + "/oauth2/token", ClientID: basic.ID,
			ClientSecret: secret.NewValue(basic.Secret)}, Options{Timeout: 5 * time.Second})
		var ne *NetworkError
		if !errors.As(err, &ne) || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("err = %v, want connection refused", err)
		}
		if errors.Is(err, ErrRejected) || errors.Is(err, ErrRefused) || errors.Is(err, ErrInvalid) {
			t.Errorf("network failure misclassified: %v", err)
		}
	})
}
