package slapdtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/testenv"
	"github.com/idsync/idsync/sync/ldif"
)

// Start starts a server for the test t with its files in t.TempDir(), and
// stops it when the test ends. When slapd is not installed it fails the
// test if $CI is set, and skips it otherwise.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := StartProcess(t.TempDir(), opts...)
	if errors.Is(err, ErrNotInstalled) {
		testenv.Missing(t, fmt.Sprintf("slapd not installed (%v): apt-get install slapd ldap-utils", err))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Conn returns a connection bound as AdminDN, closed when the test ends.
func (s *Server) Conn(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := s.AdminConn()
	if err != nil {
		t.Fatalf("slapdtest: bind as admin: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Add adds the entries of the LDIF content records in text as AdminDN,
// failing the test on any error.
func (s *Server) Add(t testing.TB, text string) {
	t.Helper()
	if err := s.AddLDIF(text); err != nil {
		t.Fatal(err)
	}
}

// AddLDIF adds the entries of the LDIF content records in text as AdminDN.
func (s *Server) AddLDIF(text string) error {
	c, err := s.AdminConn()
	if err != nil {
		return fmt.Errorf("slapdtest: bind as admin: %w", err)
	}
	defer c.Close()
	return ldif.Parse(strings.NewReader(text), func(r ldif.Record) error {
		req := ldap.NewAddRequest(r.DN, nil)
		for _, a := range r.Attrs {
			req.Attribute(a.Name, a.Values)
		}
		if err := c.Add(req); err != nil {
			return fmt.Errorf("slapdtest: add %q: %w", r.DN, err)
		}
		return nil
	})
}
