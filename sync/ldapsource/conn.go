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
	"github.com/sirupsen/logrus"
)

// open connects (TLS as configured) to the server the Sources of this
// server list use now (see dcPin: url at first), or to the first of the
// others that can be reached when it cannot, binds and returns the
// connection and a function that closes it. A server that refuses the
// bind is not failed over: the next would refuse it too. go-ldap's calls
// take no context: the connection is closed as soon as ctx is done, which
// makes the request in flight fail at once, and every request is bounded
// by the timeout.
func (s *Source) open(ctx context.Context) (*ldap.Conn, func(), error) {
	conn, closeConn, _, err := s.openServer(ctx)
	return conn, closeConn, err
}

// openServer is open, and also returns the URL connected to.
func (s *Source) openServer(ctx context.Context) (*ldap.Conn, func(), string, error) {
	urls, err := s.servers(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	urls = s.pin.ordered(urls)
	var errs []error
	for i, u := range urls {
		conn, closeConn, err := s.openURL(ctx, u)
		if err == nil {
			if i > 0 {
				s.log.WithFields(logrus.Fields{"url": u, "unreachable": len(errs)}).Warn("ldap: failed over to another server")
			}
			s.pin.move(u)
			return conn, closeConn, u, nil
		}
		if !unreachable(err) || ctx.Err() != nil || len(urls) == 1 {
			return nil, nil, "", err
		}
		s.log.WithError(err).WithField("url", u).Warn("ldap: server unreachable")
		errs = append(errs, err)
	}
	return nil, nil, "", fmt.Errorf("ldap: no server of %d reachable: %w", len(urls), errors.Join(errs...))
}

// servers returns the URLs of the servers: url and failover_urls, or
// those DNS names (discover).
func (s *Source) servers(ctx context.Context) ([]string, error) {
	if s.discovery == nil {
		return append([]string{s.cfg.URL}, s.cfg.FailoverURLs...), nil
	}
	urls, err := s.discovery.servers(ctx)
	if err != nil && len(urls) > 0 {
		s.log.WithError(err).Warn("ldap: DNS did not answer: trying the domain controllers it named last time")
		return urls, nil
	}
	if err != nil {
		return nil, s.ctxErr(ctx, err)
	}
	return urls, nil
}

// unreachable reports whether err says the server could not be reached or
// is not serving (a reason to try another), rather than refused us.
func unreachable(err error) bool {
	var nerr net.Error
	return errors.As(err, &nerr) || ldap.IsErrorAnyOf(err, ldap.ErrorNetwork, ldap.LDAPResultUnavailable, ldap.LDAPResultBusy)
}

// openURL connects to one server and binds.
func (s *Source) openURL(ctx context.Context, rawURL string) (*ldap.Conn, func(), error) {
	u, err := url.Parse(rawURL)
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
		return nil, nil, fmt.Errorf("ldap: connect to %s: %w", rawURL, err)
	}
	timeout := s.cfg.Timeout.Duration
	opts := []ldap.DialOpt{ldap.DialWithDialer(&net.Dialer{Timeout: timeout, Resolver: s.resolver})}
	if tlsConf != nil {
		opts = append(opts, ldap.DialWithTLSConfig(tlsConf))
	}
	conn, err := ldap.DialURL(rawURL, opts...)
	if err != nil {
		return nil, nil, s.ctxErr(ctx, fmt.Errorf("ldap: connect to %s: %w", rawURL, err))
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
			return fail("StartTLS with "+rawURL, err)
		}
	}
	if err := s.bind(conn, rawURL); err != nil {
		closeConn()
		return nil, nil, s.ctxErr(ctx, err)
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
