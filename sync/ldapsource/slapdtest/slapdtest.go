// Package slapdtest runs throwaway OpenLDAP servers (slapd from the Debian
// packages slapd and ldap-utils) for tests and benchmarks: each on free
// loopback ports, with its own configuration and database in a temporary
// directory, optionally with TLS and data bulk-loaded by slapadd.
package slapdtest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Paths of the OpenLDAP programs and files a server needs.
var (
	SlapdPath   = "/usr/sbin/slapd"
	SlapaddPath = "/usr/sbin/slapadd"
	SchemaDir   = "/etc/ldap/schema"
	ModuleDir   = "/usr/lib/ldap"
)

// Names every server uses.
const (
	// BaseDN is the suffix of the database.
	BaseDN = "dc=example,dc=org"
	// AdminDN is the rootdn: it bypasses every limit and ACL.
	AdminDN = "cn=admin," + BaseDN
	// ReaderDN is an ordinary account that can read everything; the server
	// limits (sizelimit) apply to it as they would to idsync's account.
	ReaderDN = "cn=reader," + BaseDN
	// ReaderPassword is ReaderDN's password.
	ReaderPassword = "reader-secret"
	// PeopleDN and GroupsDN are the containers BaseLDIF creates.
	PeopleDN = "ou=people," + BaseDN
	GroupsDN = "ou=groups," + BaseDN
	// DefaultSizeLimit mimics Active Directory: unpaged searches stop at
	// 1000 entries, paged searches return everything.
	DefaultSizeLimit = "size.soft=1000 size.hard=1000 size.prtotal=unlimited"
)

// Server is a running (or stopped) slapd.
type Server struct {
	// URL is the plain LDAP URL (StartTLS works on it when TLS is on).
	URL string
	// LDAPSURL is the LDAP-over-TLS URL; "" without WithTLS.
	LDAPSURL string
	// CAFile is the PEM file of the CA that signed the server certificate;
	// "" without WithTLS.
	CAFile string
	// BaseDN, AdminDN and AdminPassword: the database suffix and rootdn.
	BaseDN, AdminDN, AdminPassword string
	// Dir holds slapd.conf, the database, certificates and slapd.log.
	Dir string

	opts   options
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Option configures a server.
type Option func(*options)

type options struct {
	tls       bool
	sizeLimit string
	ldif      []byte
	ldifPath  string
	// sessionLog and accessLog: see WithSessionLog, WithAccessLog.
	sessionLog int
	accessLog  bool
}

// WithTLS generates a CA and a server certificate (SANs 127.0.0.1,
// localhost and the host name) and serves ldaps:// besides ldap://.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithSizeLimit replaces the global sizelimit directive's arguments
// (default DefaultSizeLimit), e.g. "size.soft=100 size.hard=100
// size.prtotal=disabled" to make paged searches hit the limit too.
func WithSizeLimit(spec string) Option { return func(o *options) { o.sizeLimit = spec } }

// WithLDIF bulk-loads the LDIF data with slapadd before slapd starts (much
// faster than adding over LDAP). The data must contain the suffix entry:
// start it with BaseLDIF, or write it with GenerateLDIF.
func WithLDIF(data []byte) Option { return func(o *options) { o.ldif = data } }

// WithLDIFFile is WithLDIF for data in a file.
func WithLDIFFile(path string) Option { return func(o *options) { o.ldifPath = path } }

// StartProcess starts a slapd with its files in dir (which must exist and
// should be empty) and waits until it accepts binds. Close stops it.
func StartProcess(dir string, opts ...Option) (*Server, error) {
	if _, err := os.Stat(SlapdPath); err != nil {
		return nil, fmt.Errorf("slapdtest: %w: %w", ErrNotInstalled, err)
	}
	s := &Server{
		BaseDN: BaseDN, AdminDN: AdminDN, AdminPassword: randomString(),
		Dir: dir, opts: options{sizeLimit: DefaultSizeLimit},
	}
	for _, o := range opts {
		o(&s.opts)
	}
	if err := s.prepare(); err != nil {
		return nil, err
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = s.listen(); err != nil {
			return nil, err
		}
		if err = s.start(); err == nil {
			return s, s.ensureReader()
		}
		if !errors.Is(err, errExited) {
			break
		}
	}
	s.Close()
	return nil, err
}

// ErrNotInstalled is wrapped by StartProcess when slapd is missing.
var ErrNotInstalled = errors.New("slapd not installed (apt-get install slapd ldap-utils)")

var errExited = errors.New("slapd exited")

// prepare writes certificates, slapd.conf and the database.
func (s *Server) prepare() error {
	if err := os.MkdirAll(filepath.Join(s.Dir, "data"), 0o700); err != nil {
		return fmt.Errorf("slapdtest: %w", err)
	}
	if err := s.prepareAccessLog(); err != nil {
		return err
	}
	if s.opts.tls {
		if err := s.writeCerts(); err != nil {
			return fmt.Errorf("slapdtest: certificates: %w", err)
		}
	}
	if err := os.WriteFile(s.confPath(), []byte(s.config()), 0o600); err != nil {
		return fmt.Errorf("slapdtest: %w", err)
	}
	data, path := s.opts.ldif, s.opts.ldifPath
	if data == nil && path == "" {
		data = BaseLDIF()
	}
	if data != nil {
		path = filepath.Join(s.Dir, "load.ldif")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return fmt.Errorf("slapdtest: %w", err)
		}
		defer os.Remove(path)
	}
	out, err := exec.Command(SlapaddPath, "-q", "-f", s.confPath(), "-l", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("slapdtest: slapadd %s: %w: %s", path, err, lastLines(out, 10))
	}
	return nil
}

func (s *Server) confPath() string { return filepath.Join(s.Dir, "slapd.conf") }
func (s *Server) logPath() string  { return filepath.Join(s.Dir, "slapd.log") }

// start runs slapd with the current URLs and waits for a successful bind.
func (s *Server) start() error {
	urls := s.URL + "/"
	if s.LDAPSURL != "" {
		urls += " " + s.LDAPSURL + "/"
	}
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("slapdtest: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(SlapdPath, "-f", s.confPath(), "-h", urls, "-d", "0")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("slapdtest: start slapd: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(s.logPath())
			return fmt.Errorf("slapdtest: %w: %s", errExited, lastLines(log, 10))
		default:
		}
		if err := s.ping(); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			s.kill(syscall.SIGKILL)
			return fmt.Errorf("slapdtest: slapd not ready after 10s: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills slapd with SIGKILL, like a crash, and waits for it to exit.
// The database stays; Restart starts it again on the same ports.
func (s *Server) Stop() { s.kill(syscall.SIGKILL) }

// Pause freezes slapd (SIGSTOP): connections stay open, nothing answers.
// It returns once the kernel reports every thread of slapd stopped: a
// signal is delivered asynchronously, and a slapd that has been sent
// SIGSTOP may still answer requests for a while.
func (s *Server) Pause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("slapdtest: not running")
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("slapdtest: pause: %w", err)
	}
	// WNOWAIT leaves the state to be reported again, so that the
	// goroutine waiting for slapd's exit still reaps it.
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, s.cmd.Process.Pid, &info, unix.WSTOPPED|unix.WEXITED|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("slapdtest: pause: wait for slapd to stop: %w", err)
		}
		break
	}
	if info.Code != cldStopped {
		return errors.New("slapdtest: pause: slapd exited")
	}
	return nil
}

// cldStopped is the siginfo code of a child stopped by a signal.
const cldStopped = 5 // CLD_STOPPED

// Resume continues a paused slapd (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

// Restart starts a stopped server again with the same data and URLs.
func (s *Server) Restart() error {
	s.Stop()
	return s.start()
}

// Close stops slapd gracefully (SIGTERM, then SIGKILL after 5 s). It does
// not remove Dir.
func (s *Server) Close() {
	_ = s.signal(syscall.SIGCONT)
	s.kill(syscall.SIGTERM)
}

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("slapdtest: not running")
	}
	return s.cmd.Process.Signal(sig)
}

func (s *Server) kill(sig syscall.Signal) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func randomString() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
