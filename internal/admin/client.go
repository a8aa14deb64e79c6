package admin

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/idsync/idsync/internal/secret"
)

// Client talks to a running daemon's admin listener, as `idsync status`
// does.
type Client struct {
	base  string // e.g. http://127.0.0.1:9464
	token secret.Secret
	http  *http.Client
}

// NewClient returns a client for the listener that cfg configures: it
// loads the token, and with TLS trusts cfg's certificate file in addition
// to the system roots. A listener on every interface is reached on
// 127.0.0.1.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("admin: invalid config: %w", err)
	}
	c := &Client{http: &http.Client{Timeout: 30 * time.Second}}
	if !cfg.Token.IsZero() {
		t, err := cfg.Token.Load()
		if err != nil {
			return nil, fmt.Errorf("admin: token: %w", err)
		}
		c.token = t
	}
	host, port, _ := net.SplitHostPort(cfg.Addr()) // Validate checked it
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = defaultHost
	}
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
		tc, err := trusting(cfg.TLSCertFile)
		if err != nil {
			return nil, err
		}
		c.http.Transport = &http.Transport{TLSClientConfig: tc}
	}
	c.base = scheme + "://" + net.JoinHostPort(host, port)
	return c, nil
}

// trusting returns a TLS configuration that trusts the system roots and the
// certificates in the PEM file certFile.
func trusting(certFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("admin: tls_cert_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("admin: tls_cert_file: no PEM certificate in %s", certFile)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, nil
}

// Status fetches the /status document.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	if err := c.get(ctx, "/status", &st); err != nil {
		return Status{}, err
	}
	if st.Version != StatusVersion {
		return Status{}, fmt.Errorf("admin: status document version %d, this idsync reads %d", st.Version, StatusVersion)
	}
	return st, nil
}

// get GETs path and decodes its JSON body into v. An answer other than 200
// is an error with the status and the start of the body.
func (c *Client) get(ctx context.Context, path string, v any) error {
	url := c.base + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("admin: GET %s: %w", url, err)
	}
	return c.do(c.http, req, v, http.StatusOK)
}

// do sends req with hc, with the token, and decodes the JSON body into v.
// An answer with a status not in ok is an error with the status and the
// start of the body.
func (c *Client) do(hc *http.Client, req *http.Request, v any, ok ...int) error {
	what := req.Method + " " + req.URL.String()
	if !c.token.IsZero() {
		req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin: %s (is the daemon running?): %w", what, err)
	}
	defer resp.Body.Close()
	if !slices.Contains(ok, resp.StatusCode) {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("admin: %s: %s: %s", what, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("admin: %s: decode: %w", what, err)
	}
	return nil
}

// Run asks the daemon for a run (POST /run) and returns its answer. With
// req.Wait it waits for the run to end, bounded by ctx only (not by the
// client's timeout for the other requests).
func (c *Client) Run(ctx context.Context, req RunRequest) (RunResult, error) {
	url := c.base + "/run"
	body, err := json.Marshal(req)
	if err != nil {
		return RunResult{}, fmt.Errorf("admin: POST %s: %w", url, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return RunResult{}, fmt.Errorf("admin: POST %s: %w", url, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hc := c.http
	if req.Wait {
		long := *c.http
		long.Timeout = 0
		hc = &long
	}
	var res RunResult
	if err := c.do(hc, hr, &res, http.StatusOK, http.StatusAccepted); err != nil {
		return RunResult{}, err
	}
	return res, nil
}
