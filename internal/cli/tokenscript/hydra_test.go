package tokenscript_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mysafe/mysafe/internal/hydratest"
)

// hydraPresent is the [hydra] condition: whether the Ory Hydra binary is
// there. Under CI=true its absence is an error, so the scripts that need it
// fail instead of skipping.
func hydraPresent() (bool, error) {
	_, err := hydratest.Binary()
	if err != nil && os.Getenv("CI") == "true" {
		return false, fmt.Errorf("CI=true needs Ory Hydra: %v", err)
	}
	return err == nil, nil
}

// sharedHydra is one Hydra for all scripts of a run, started by the first
// script that asks for it. Scripts keep apart by their client IDs.
type sharedHydra struct {
	once sync.Once
	srv  *hydratest.Server
	err  error

	mu       sync.Mutex
	counters map[*testscript.TestScript]*hydratest.Counter
}

func (h *sharedHydra) close() {
	if h.srv != nil {
		h.srv.Close()
	}
}

// cmd is the hydra script command:
//
//	hydra start
//	    start Hydra (once per run) and set HYDRA_URL and HYDRA_TOKEN_URL
//	hydra client NAME METHOD SCOPES [AUDIENCE]
//	    create a client-credentials client authenticating with METHOD
//	    (client_secret_basic or client_secret_post), allowed the
//	    comma-separated SCOPES; set NAME_ID to its id and write its secret
//	    to the file NAME.secret
//	hydra lifespan NAME DURATION
//	    make the tokens client NAME gets live for DURATION
//	hydra count
//	    put a counting proxy in front of Hydra for this script and set
//	    COUNTED_TOKEN_URL to its token endpoint
//	hydra requests N
//	    check that N token requests went through this script's proxy
//	hydra introspect TOKENFILE NAME SCOPE [AUDIENCE]
//	    check that Hydra holds the token in TOKENFILE active, issued to
//	    client NAME for exactly SCOPE (space-separated) and AUDIENCE
func (h *sharedHydra) cmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: hydra start | client ... | introspect ...")
	}
	if args[0] != "start" && h.srv == nil {
		ts.Fatalf("hydra %s before hydra start", args[0])
	}
	switch args[0] {
	case "start":
		h.once.Do(func() {
			bin, err := hydratest.Binary()
			if err != nil {
				h.err = err
				return
			}
			h.srv, h.err = hydratest.Run(bin)
		})
		ts.Check(h.err)
		ts.Setenv("HYDRA_URL", h.srv.PublicURL)
		ts.Setenv("HYDRA_TOKEN_URL", h.srv.TokenURL)
	case "client":
		if len(args) < 4 || len(args) > 5 {
			ts.Fatalf("usage: hydra client NAME METHOD SCOPES [AUDIENCE]")
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		c := hydratest.Client{ID: args[1] + "-" + hex.EncodeToString(b), Secret: hydratest.RandomSecret(),
			AuthMethod: args[2], Scopes: strings.Split(args[3], ",")}
		if len(args) == 5 {
			c.Audience = []string{args[4]}
		}
		ts.Check(h.srv.CreateClient(c))
		ts.Setenv(args[1]+"_ID", c.ID)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]+".secret"), []byte(c.Secret), 0o600))
	case "lifespan":
		if len(args) != 3 {
			ts.Fatalf("usage: hydra lifespan NAME DURATION")
		}
		d, err := time.ParseDuration(args[2])
		ts.Check(err)
		ts.Check(h.srv.SetLifespan(ts.Getenv(args[1]+"_ID"), d))
	case "count":
		c, err := h.srv.Count()
		ts.Check(err)
		ts.Defer(func() {
			c.Close()
			h.mu.Lock()
			delete(h.counters, ts)
			h.mu.Unlock()
		})
		h.mu.Lock()
		if h.counters == nil {
			h.counters = map[*testscript.TestScript]*hydratest.Counter{}
		}
		h.counters[ts] = c
		h.mu.Unlock()
		ts.Setenv("COUNTED_TOKEN_URL", c.TokenURL)
	case "requests":
		if len(args) != 2 {
			ts.Fatalf("usage: hydra requests N")
		}
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		h.mu.Lock()
		c := h.counters[ts]
		h.mu.Unlock()
		if c == nil {
			ts.Fatalf("hydra requests before hydra count")
		}
		if got := c.Requests(); got != want {
			ts.Fatalf("%d token requests reached Hydra, want %d", got, want)
		}
	case "introspect":
		if len(args) < 4 || len(args) > 5 {
			ts.Fatalf("usage: hydra introspect TOKENFILE NAME SCOPE [AUDIENCE]")
		}
		tok := strings.TrimSuffix(ts.ReadFile(args[1]), "\n")
		in, err := h.srv.Introspect(tok)
		ts.Check(err)
		want := ts.Getenv(args[2] + "_ID")
		if !in.Active || in.ClientID != want || in.Scope != args[3] {
			ts.Fatalf("introspection: active %v, client %q, scope %q; want active, %q, %q", in.Active, in.ClientID, in.Scope, want, args[3])
		}
		aud := ""
		if len(args) == 5 {
			aud = args[4]
		}
		if strings.Join(in.Audience, " ") != aud {
			ts.Fatalf("introspection: audience %q, want %q", in.Audience, aud)
		}
	default:
		ts.Fatalf("unknown hydra command %q", args[0])
	}
}
