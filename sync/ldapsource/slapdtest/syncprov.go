package slapdtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AccessLogDN is the suffix of the access log database WithAccessLog adds.
const AccessLogDN = "cn=accesslog"

// WithSessionLog gives syncprov (always loaded) an in-memory session log
// of ops write operations: a syncrepl consumer that comes back with a
// cookie then gets the deletions since as a list, instead of the list of
// every entry still present. The log is lost when slapd stops.
func WithSessionLog(ops int) Option { return func(o *options) { o.sessionLog = ops } }

// WithAccessLog logs every successful write in an accesslog database
// (AccessLogDN) and makes it syncprov's session log
// (syncprov-sessionlog-source): unlike WithSessionLog's, it survives a
// restart of slapd. It replaces WithSessionLog.
func WithAccessLog() Option { return func(o *options) { o.accessLog = true } }

// syncprovConfig returns the directives that follow "overlay syncprov" in
// the main database.
func (s *Server) syncprovConfig() string {
	var b strings.Builder
	switch {
	case s.opts.accessLog:
		fmt.Fprintf(&b, "syncprov-sessionlog-source %s\n", AccessLogDN)
	case s.opts.sessionLog > 0:
		fmt.Fprintf(&b, "syncprov-sessionlog %d\n", s.opts.sessionLog)
	}
	return b.String()
}

// accessLogConfig returns the accesslog overlay of the main database and
// the log database, to append after the main database; "" without
// WithAccessLog.
func (s *Server) accessLogConfig() string {
	if !s.opts.accessLog {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "overlay accesslog\nlogdb %s\nlogops writes\nlogsuccess TRUE\nlogpurge 07+00:00 01+00:00\n\n", AccessLogDN)
	fmt.Fprintf(&b, "database mdb\nmaxsize 268435456\nsuffix %q\nrootdn %q\ndirectory %s\n",
		AccessLogDN, AccessLogDN, s.accessLogDir())
	b.WriteString("index default eq\nindex entryCSN,objectClass,reqEnd,reqResult,reqStart,reqDN\n")
	return b.String()
}

func (s *Server) accessLogDir() string { return filepath.Join(s.Dir, "accesslog") }

// prepareAccessLog creates the log database's directory.
func (s *Server) prepareAccessLog() error {
	if !s.opts.accessLog {
		return nil
	}
	if err := os.MkdirAll(s.accessLogDir(), 0o700); err != nil {
		return fmt.Errorf("slapdtest: %w", err)
	}
	return nil
}
