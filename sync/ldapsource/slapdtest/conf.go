package slapdtest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// config returns slapd.conf for s.
func (s *Server) config() string {
	var b strings.Builder
	for _, sc := range []string{"core", "cosine", "nis", "inetorgperson"} {
		fmt.Fprintf(&b, "include %s\n", filepath.Join(SchemaDir, sc+".schema"))
	}
	fmt.Fprintf(&b, "pidfile %s\nargsfile %s\n", filepath.Join(s.Dir, "slapd.pid"), filepath.Join(s.Dir, "slapd.args"))
	fmt.Fprintf(&b, "modulepath %s\n", ModuleDir)
	for _, m := range []string{"back_mdb", "syncprov", "memberof", "refint", "accesslog"} {
		fmt.Fprintf(&b, "moduleload %s\n", m)
	}
	if s.opts.tls {
		fmt.Fprintf(&b, "TLSCACertificateFile %s\nTLSCertificateFile %s\nTLSCertificateKeyFile %s\n",
			s.CAFile, filepath.Join(s.Dir, "server.pem"), filepath.Join(s.Dir, "server-key.pem"))
	}
	fmt.Fprintf(&b, "sizelimit %s\n", s.opts.sizeLimit)
	b.WriteString(`
access to attrs=userPassword
	by self write
	by anonymous auth
	by * none
access to *
	by * read

database mdb
maxsize 4294967296
`)
	fmt.Fprintf(&b, "suffix %q\nrootdn %q\nrootpw %s\ndirectory %s\n", BaseDN, AdminDN, s.AdminPassword, filepath.Join(s.Dir, "data"))
	b.WriteString(`index objectClass eq
index entryUUID eq
index uid eq
index member eq

overlay syncprov
`)
	b.WriteString(s.syncprovConfig())
	b.WriteString(`overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
overlay refint
refint_attributes member
`)
	b.WriteString(s.accessLogConfig())
	return b.String()
}

// listen picks free loopback ports for the URLs.
func (s *Server) listen() error {
	p, err := freePort()
	if err != nil {
		return err
	}
	s.URL = fmt.Sprintf("ldap://127.0.0.1:%d", p)
	if s.opts.tls {
		if p, err = freePort(); err != nil {
			return err
		}
		s.LDAPSURL = fmt.Sprintf("ldaps://127.0.0.1:%d", p)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("slapdtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Dial connects to URL (without binding).
func (s *Server) Dial() (*ldap.Conn, error) {
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}))
	if err != nil {
		return nil, err
	}
	c.SetTimeout(30 * time.Second)
	return c, nil
}

// AdminConn returns a connection bound as AdminDN; the caller closes it.
func (s *Server) AdminConn() (*ldap.Conn, error) {
	c, err := s.Dial()
	if err != nil {
		return nil, err
	}
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *Server) ping() error {
	c, err := s.AdminConn()
	if err != nil {
		return err
	}
	return c.Close()
}

// ensureReader adds ReaderDN unless the loaded data has it.
func (s *Server) ensureReader() error {
	c, err := s.AdminConn()
	if err != nil {
		return fmt.Errorf("slapdtest: %w", err)
	}
	defer c.Close()
	req := ldap.NewAddRequest(ReaderDN, nil)
	req.Attribute("objectClass", []string{"organizationalRole", "simpleSecurityObject"})
	req.Attribute("cn", []string{"reader"})
	req.Attribute("userPassword", []string{ReaderPassword})
	if err := c.Add(req); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) {
		return fmt.Errorf("slapdtest: add %s: %w", ReaderDN, err)
	}
	return nil
}

// TLSConfig returns a client TLS configuration that trusts CAFile; nil
// without WithTLS.
func (s *Server) TLSConfig() *tls.Config {
	if s.CAFile == "" {
		return nil
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}
