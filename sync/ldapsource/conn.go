package ldapsource

import (
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

// open connects (TLS as configured), binds and returns the connection and
// a function that closes it. go-ldap's calls take no context: the
// connection is closed as soon as ctx is done, which makes the request in
// flight fail at once, and every request is bounded by the timeout.
func (s *Source) open(ctx context.Context) (*ldap.Conn, func(), error) {
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("ldap: url: %w", err)
	}
	var tlsConf *tls.Config
	if u.Scheme == "ldaps" || s.cfg.StartTLS {
		if tlsConf, err = s.tlsConfig(u.Hostname()); err != nil {
			return nil, nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("ldap: connect to %s: %w", s.cfg.URL, err)
	}
	timeout := s.cfg.Timeout.Duration
	opts := []ldap.DialOpt{ldap.DialWithDialer(&net.Dialer{Timeout: timeout})}
	if tlsConf != nil {
		opts = append(opts, ldap.DialWithTLSConfig(tlsConf))
	}
	conn, err := ldap.DialURL(s.cfg.URL, opts...)
	if err != nil {
		return nil, nil, s.ctxErr(ctx, fmt.Errorf("ldap: connect to %s: %w", s.cfg.URL, err))
	}
	conn.SetTimeout(timeout)
	unwatch := context.AfterFunc(ctx, func() { conn.Close() })
	closeConn := func() {
		unwatch()
		conn.Close()
	}
	fail := func(what string, err error) (*ldap.Conn, func(), error) {
		closeConn()
		return nil, nil, s.ctxErr(ctx, fmt.Errorf("ldap: %s: %w", what, err))
	}
	if s.cfg.StartTLS {
		if err := conn.StartTLS(tlsConf); err != nil {
			return fail("StartTLS with "+s.cfg.URL, err)
		}
	}
	if s.cfg.BindDN != "" {
		if err := conn.Bind(s.cfg.BindDN, s.password.Reveal()); err != nil {
			return fail(fmt.Sprintf("bind to %s as %q", s.cfg.URL, s.cfg.BindDN), err)
		}
	}
	return conn, closeConn, nil
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
