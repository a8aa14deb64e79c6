// Package admin is idsync's admin HTTP listener: /healthz, /readyz, /status
// (a JSON document, see docs/status-json.md), /metrics (Prometheus, on a
// registry of its own) and, given a Runner, POST /run, plus the Metrics the
// engine records into and the Client that `idsync status` and `idsync
// trigger` use.
//
// The listener binds 127.0.0.1:9464 by default. Any address that is not a
// loopback address needs a bearer token: Validate refuses it otherwise.
package admin

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/idsync/idsync/internal/loopback"
	"github.com/idsync/idsync/internal/secret"
)

// DefaultListen is the address the listener binds when Config.Listen is empty.
const DefaultListen = defaultHost + ":" + defaultPortNumber

const (
	defaultHost       = "127.0.0.1"
	defaultPortNumber = "9464"
)

// defaultPort is the port of the default address; a variable so that a test
// can bind the default host on a free port.
var defaultPort = defaultPortNumber

// Config is the [admin] section of the configuration.
type Config struct {
	// Listen is the host:port to bind (default "127.0.0.1:9464"). A host
	// that is not a loopback address (an IP address, a name, or empty /
	// 0.0.0.0 / :: for every interface) requires Token.
	Listen string `toml:"listen"`
	// Token says where the bearer token comes from ({ file = ".." } or
	// { env = ".." }). When set, every request must carry
	// "Authorization: Bearer <token>"; when unset, the listener must be on
	// loopback and is open to local users.
	Token secret.Ref `toml:"token"`
	// TLSCertFile and TLSKeyFile, both or neither, make the listener serve
	// HTTPS with that PEM certificate and key.
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
}

// Addr returns the address to bind: Listen, or DefaultListen when empty.
func (c Config) Addr() string {
	if c.Listen == "" {
		return net.JoinHostPort(defaultHost, defaultPort)
	}
	return c.Listen
}

// TLS reports whether the listener serves HTTPS.
func (c Config) TLS() bool { return c.TLSCertFile != "" }

// Validate reports every problem in c at once, each message starting with
// the key it is about. It reads no file and no variable.
func (c Config) Validate() error {
	var errs []error
	host, port, err := net.SplitHostPort(c.Addr())
	if err != nil {
		errs = append(errs, fmt.Errorf("listen: must be host:port, got %q", c.Listen))
	} else {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			errs = append(errs, fmt.Errorf("listen: port must be a number from 0 to 65535, got %q", port))
		}
		if c.Token.IsZero() {
			if err := needsToken(host, c.Addr()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if !c.Token.IsZero() {
		if err := c.Token.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("token: %w", err))
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("tls_cert_file, tls_key_file: set both or neither"))
	}
	return errors.Join(errs...)
}

// needsToken returns an error when host, of the address addr, is not a
// loopback address.
func needsToken(host, addr string) error {
	if loopback.Host(host) {
		return nil
	}
	ip := net.ParseIP(host)
	if host == "" || (ip != nil && ip.IsUnspecified()) {
		return fmt.Errorf("listen: %q listens on every interface: set token, or listen on 127.0.0.1", addr)
	}
	return fmt.Errorf("listen: %q is not a loopback address: set token to serve beyond this machine", host)
}
