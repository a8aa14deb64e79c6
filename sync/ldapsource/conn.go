package ldapsource

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/go-ldap/ldap/v3"
)

// open connects (TLS as configured), binds and returns the client and a
// function that closes it. Until then, ctx being done closes the TCP
// connection, which makes the request in flight fail at once.
func (s *Source) open(ctx context.Context) (*client, func(), error) {
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("ldap: url: %w", err)
	}
	ldaps := u.Scheme == "ldaps"
	port := u.Port()
	if port == "" {
		port = ldap.DefaultLdapPort
		if ldaps {
			port = ldap.DefaultLdapsPort
		}
	}
	var tlsConf *tls.Config
	if ldaps || s.cfg.StartTLS {
		if tlsConf, err = s.tlsConfig(u.Hostname()); err != nil {
			return nil, nil, err
		}
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	d := net.Dialer{Timeout: s.cfg.Timeout}
	raw, err := d.DialContext(dctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, nil, s.ctxErr(ctx, fmt.Errorf("ldap: connect to %s: %w", s.cfg.URL, err))
	}
	c := &client{raw: raw, nc: raw, timeout: s.cfg.Timeout}
	unwatch := context.AfterFunc(ctx, func() { raw.Close() })
	closeConn := func() {
		unwatch()
		c.close()
	}
	fail := func(what string, err error) (*client, func(), error) {
		closeConn()
		return nil, nil, s.ctxErr(ctx, fmt.Errorf("ldap: %s: %w", what, err))
	}
	if ldaps {
		tc := tls.Client(raw, tlsConf)
		if err := tc.HandshakeContext(dctx); err != nil {
			return fail("TLS handshake with "+s.cfg.URL, err)
		}
		c.nc = tc
	}
	c.r = bufio.NewReaderSize(c.nc, 256<<10)
	if s.cfg.StartTLS {
		if err := c.startTLS(ctx, tlsConf); err != nil {
			return fail("StartTLS with "+s.cfg.URL, err)
		}
	}
	if s.cfg.BindDN != "" {
		if err := c.bind(s.cfg.BindDN, s.password.Reveal()); err != nil {
			return fail(fmt.Sprintf("bind to %s as %q", s.cfg.URL, s.cfg.BindDN), err)
		}
	}
	return c, closeConn, nil
}

// tlsConfig returns the client TLS settings: TLS 1.2 or later, the
// certificate verified against ca_file (system roots when unset) for
// server_name (the URL's host when unset).
func (s *Source) tlsConfig(host string) (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         host,
		InsecureSkipVerify: s.cfg.InsecureSkipVerify, //nolint:gosec // opt-in, logged by New
	}
	if s.cfg.ServerName != "" {
		c.ServerName = s.cfg.ServerName
	}
	if s.cfg.CAFile != "" {
		pem, err := os.ReadFile(s.cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ldap: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ldap: ca_file %s: %w", s.cfg.CAFile, errNoCerts)
		}
		c.RootCAs = pool
	}
	return c, nil
}

var errNoCerts = errors.New("no PEM certificates found")
