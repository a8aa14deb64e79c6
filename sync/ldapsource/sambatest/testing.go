package sambatest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/testenv"
)

// Start starts a DC with the seeded organisation for the test t, its files
// in t.TempDir(), and stops it when the test ends. When Samba is not
// installed, or the binary is not in its own network namespace (see Main),
// it fails the test if $CI is set and skips it otherwise.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := StartProcess(t.TempDir(), opts...)
	switch {
	case errors.Is(err, ErrNotInstalled):
		testenv.Missing(t, fmt.Sprintf("%v: apt-get install samba samba-ad-dc samba-ad-provision winbind krb5-user smbclient ldb-tools", err))
	case errors.Is(err, errNoNetns):
		testenv.Missing(t, err.Error())
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Conn returns a connection bound as the Administrator, closed when the
// test ends.
func (s *Server) Conn(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := s.AdminConn()
	if err != nil {
		t.Fatalf("sambatest: bind as Administrator: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var (
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error
)

// Shared returns a DC started once for the test binary and stopped by
// Main after the tests: for tests that only read. A test that changes the
// directory uses Start.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		dir, err := os.MkdirTemp("", "sambatest-shared-")
		if err != nil {
			t.Fatal(err)
		}
		shared, sharedErr = StartProcess(dir)
	}
	switch err := sharedErr; {
	case errors.Is(err, ErrNotInstalled):
		testenv.Missing(t, fmt.Sprintf("%v: apt-get install samba samba-ad-dc samba-ad-provision winbind krb5-user smbclient ldb-tools", err))
	case errors.Is(err, errNoNetns):
		testenv.Missing(t, err.Error())
	case err != nil:
		t.Fatal(err)
	}
	return shared
}

// Join joins a second DC, named host, to the domain of s (started
// WithDNS) for the test t, and stops it when the test ends.
func (s *Server) Join(t testing.TB, host string) *Server {
	t.Helper()
	j, err := s.JoinProcess(t.TempDir(), host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Close)
	return j
}
