package scimtest

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BasePath is where Start and scimd serve SCIM, below the host.
const BasePath = "/scim/v2"

// Mount serves h (a Server, or a wrapper around one) below prefix (e.g.
// BasePath) and answers 404 elsewhere.
func Mount(prefix string, h http.Handler) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	return mux
}

// Start runs a new Server on 127.0.0.1 for the duration of the test and
// returns its base URL (http://127.0.0.1:PORT/scim/v2), the bearer token
// (opts.Token, or a random one) and the server for faults and snapshots.
func Start(t testing.TB, opts Options) (url, token string, srv *Server) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = RandomToken()
	}
	srv = NewServer(opts)
	ts := httptest.NewServer(Mount(BasePath, srv))
	t.Cleanup(ts.Close)
	return ts.URL + BasePath, opts.Token, srv
}

// RandomToken returns a fresh random bearer token.
func RandomToken() string { return "tok-" + rand.Text() }
