// Package sambatest runs throwaway Samba Active Directory domain controllers
// (Debian packages samba, samba-ad-dc, samba-ad-provision) for tests. A
// domain is provisioned and seeded once (Seed) into a template directory
// cached under the system's temporary directory; each Start copies it and
// runs `samba -F -M single` on its own loopback address (127.0.0.N), in
// the private network namespace Main puts the test binary in, with its
// own CA and a server certificate whose SANs name that address.
package sambatest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Names of the test domain.
const (
	// Realm is the Kerberos realm; Domain the NetBIOS domain name.
	Realm  = "EXAMPLE.ORG"
	Domain = "EXAMPLE"
	// DNSDomain is the domain's DNS name; HostName the DC's short name.
	DNSDomain = "example.org"
	HostName  = "dc1"
	// BaseDN is the domain's naming context (the domain root).
	BaseDN = "DC=example,DC=org"
	// AdminDN, AdminUPN and AdminPassword: the domain's Administrator.
	AdminDN       = "CN=Administrator,CN=Users," + BaseDN
	AdminUPN      = "Administrator@" + DNSDomain
	AdminPassword = "Adm1n-Passw0rd!"
)

// SambaPath is the samba binary; SambaToolPath samba-tool.
var (
	SambaPath     = "/usr/sbin/samba"
	SambaToolPath = "/usr/bin/samba-tool"
)

// ErrNotInstalled is returned when samba is not installed.
var ErrNotInstalled = errors.New("samba AD DC not installed")

// Server is a running (or stopped) domain controller.
type Server struct {
	// IP is the loopback address the DC listens on.
	IP string
	// URL is ldap://IP (StartTLS works on it), LDAPSURL ldaps://IP,
	// GCURL the Global Catalog, ldap://IP:3268.
	URL, LDAPSURL, GCURL string
	// CAFile is the PEM file of the CA that signed the DC's certificate.
	CAFile string
	// Dir holds the DC's files: etc/smb.conf, private/, log.samba.
	Dir string
	// Seed describes the seeded organisation (the template's).
	Seed *SeedInfo

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

var (
	ipMu   sync.Mutex
	nextIP = 10
	live   = map[*Server]bool{}
)

// allocIP returns a loopback address no other server of this process uses.
func allocIP() string {
	ipMu.Lock()
	defer ipMu.Unlock()
	nextIP++
	return fmt.Sprintf("127.0.0.%d", nextIP)
}

// Option configures a DC.
type Option func(*options)

type options struct {
	strongAuth bool
	dns        bool
}

// WithDNS runs the DC's own DNS server (port 53 of its address), which
// answers for the domain's zones with the SRV records provisioning made
// (_ldap._tcp.dc._msdcs, _gc._tcp, ...), and its RPC server, through
// which AddDNSRecord changes them.
func WithDNS() Option { return func(o *options) { o.dns = true } }

// RequireStrongAuth makes the DC refuse simple binds without TLS, as AD
// does with "LDAP server signing requirements" (ldap server require strong
// auth = yes).
func RequireStrongAuth() Option { return func(o *options) { o.strongAuth = true } }

// StartProcess copies the seeded template into dir and starts a DC. The
// caller must Close it.
func StartProcess(dir string, opts ...Option) (*Server, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if netnsErr != "" {
		return nil, fmt.Errorf("%w: %s", errNoNetns, netnsErr)
	}
	tmpl, info, err := template()
	if err != nil {
		return nil, err
	}
	s := &Server{IP: allocIP(), Dir: dir, Seed: info}
	s.URL, s.LDAPSURL, s.GCURL = "ldap://"+s.IP, "ldaps://"+s.IP, "ldap://"+s.IP+":3268"
	if err := copyTree(tmpl, dir); err != nil {
		return nil, fmt.Errorf("sambatest: copy template: %w", err)
	}
	if err := s.writeCerts(); err != nil {
		return nil, fmt.Errorf("sambatest: certificates: %w", err)
	}
	if err := writeConf(dir, HostName, s.IP, true, o.strongAuth, o.dns); err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

var errNoNetns = errors.New("sambatest: no private network namespace")

// Start starts the DC process and waits until it answers a bind as the
// Administrator.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("sambatest: already running")
	}
	cmd, exited, err := runSamba(s.Dir, s.IP)
	if err != nil {
		return err
	}
	s.cmd, s.exited = cmd, exited
	ipMu.Lock()
	live[s] = true
	ipMu.Unlock()
	return nil
}

// runSamba starts samba with dir's smb.conf and waits for ip:389 to take a
// bind as the Administrator.
func runSamba(dir, ip string) (*exec.Cmd, chan struct{}, error) {
	logf, err := os.OpenFile(filepath.Join(dir, "log.samba"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close()
	level := "1"
	if l := os.Getenv("SAMBATEST_DEBUG"); l != "" {
		level = l // samba's debug level, for its log.samba
	}
	cmd := exec.Command(SambaPath, "-F", "-M", "single", "--debug-stdout", "-d", level, "-s", filepath.Join(dir, "etc", "smb.conf"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("sambatest: start samba: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		// How it ended goes to its log, for a test that finds it gone.
		if f, ferr := os.OpenFile(filepath.Join(dir, "log.samba"), os.O_WRONLY|os.O_APPEND, 0o600); ferr == nil {
			fmt.Fprintf(f, "sambatest: samba exited: %v\n", err)
			f.Close()
		}
		close(exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := tryBind("ldap://" + ip); err == nil {
			return cmd, exited, nil
		} else if time.Now().After(deadline) {
			kill(cmd, exited)
			return nil, nil, fmt.Errorf("sambatest: samba on %s not ready after 60s (%v); see %s/log.samba", ip, err, dir)
		}
		select {
		case <-exited:
			return nil, nil, fmt.Errorf("sambatest: samba exited at start; see %s/log.samba: %s", dir, tail(filepath.Join(dir, "log.samba")))
		case <-tick.C:
		}
	}
}

func tryBind(url string) error {
	c, err := ldap.DialURL(url, ldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(5 * time.Second)
	err = c.Bind(AdminUPN, AdminPassword)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultStrongAuthRequired) {
		return nil // up, and refusing simple binds without TLS as asked
	}
	return err
}

func kill(cmd *exec.Cmd, exited chan struct{}) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

// Stop stops the DC process, keeping its files: Start runs it again with
// the same database (a DC that is down, then back).
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	kill(s.cmd, s.exited)
	s.cmd = nil
	ipMu.Lock()
	delete(live, s)
	ipMu.Unlock()
}

// Close stops the DC.
func (s *Server) Close() { s.Stop() }

// stopAll stops every server still running (Main, after the tests).
func stopAll() {
	ipMu.Lock()
	var all []*Server
	for s := range live {
		all = append(all, s)
	}
	ipMu.Unlock()
	for _, s := range all {
		s.Stop()
	}
	sharedMu.Lock()
	if shared != nil {
		_ = os.RemoveAll(shared.Dir)
	}
	sharedMu.Unlock()
}

// AdminConn returns a new connection to the DC bound as the Administrator.
func (s *Server) AdminConn() (*ldap.Conn, error) {
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		return nil, err
	}
	c.SetTimeout(30 * time.Second)
	if err := c.Bind(AdminUPN, AdminPassword); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Tool runs samba-tool with the DC's smb.conf and returns its output.
func (s *Server) Tool(args ...string) (string, error) {
	args = append(args, "-s", filepath.Join(s.Dir, "etc", "smb.conf"))
	out, err := exec.Command(SambaToolPath, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("sambatest: samba-tool %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// AddDNSRecord adds a record to a zone of the DC's DNS server (WithDNS):
// AddDNSRecord("example.org", "dc1", "A", "127.0.0.11"), or an SRV record
// with data "target port priority weight".
func (s *Server) AddDNSRecord(zone, name, typ, data string) error {
	_, err := s.Tool("dns", "add", s.IP, zone, name, typ, data, "-U", "Administrator%"+AdminPassword)
	return err
}

// tail returns the last lines of a file, for messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
