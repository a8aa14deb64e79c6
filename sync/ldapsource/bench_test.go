package ldapsource

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/testenv"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// benchServer starts a slapd with IDSYNC_BENCH_USERS users (default
// 100000) in users/100 groups, loaded by slapadd.
func benchServer(b *testing.B) (*slapdtest.Server, int) {
	users := 100000
	if v := os.Getenv("IDSYNC_BENCH_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		users = n
	}
	path := filepath.Join(b.TempDir(), "data.ldif")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := slapdtest.GenerateLDIF(f, users, users/100); err != nil {
		b.Fatal(err)
	}
	f.Close()
	start := time.Now()
	srv := slapdtest.Start(b, slapdtest.WithLDIFFile(path))
	b.Logf("slapadd + start of %d users: %v", users, time.Since(start))
	return srv, users
}

// BenchmarkRead reads every user (and group) with Source.Read, and, for
// comparison under the same load, every user with
// ldapsearch -E pr=N/noprompt to /dev/null:
//
//	go test ./sync/ldapsource -run XXX -bench Read -benchtime 3x
//
// Loading 100,000 users with slapadd takes a few seconds first. Besides
// the wall time, cpu-s/op is the CPU time of the reader alone (this
// process for Source.Read, the child for ldapsearch), which a busy machine
// disturbs less; slapd's own time is in neither.
func BenchmarkRead(b *testing.B) {
	srv, users := benchServer(b)
	for _, pageSize := range []int{500, 1000} {
		b.Run("idsync/page"+strconv.Itoa(pageSize), func(b *testing.B) {
			s := benchSource(b, srv, pageSize)
			benchReads(b, s, users)
		})
		b.Run("idsync-no-groups/page"+strconv.Itoa(pageSize), func(b *testing.B) {
			s := benchSource(b, srv, pageSize)
			s.cfg.Groups.BaseDN = ""
			off := false
			s.cfg.UseMemberOf = &off
			benchReads(b, s, users)
		})
		b.Run("idsync-5-attrs/page"+strconv.Itoa(pageSize), func(b *testing.B) {
			s := benchSource(b, srv, pageSize)
			s.userAttrs = attrList([]string{"uid", "cn", "sn", "givenName", "mail"}, "entryUUID", "memberOf")
			benchReads(b, s, users)
		})
		b.Run("ldapsearch/page"+strconv.Itoa(pageSize), func(b *testing.B) {
			if _, err := exec.LookPath("ldapsearch"); err != nil {
				testenv.Missing(b, "ldapsearch not installed: apt-get install ldap-utils")
			}
			start := cpuTime(syscall.RUSAGE_CHILDREN)
			for i := 0; i < b.N; i++ {
				cmd := exec.Command("ldapsearch", "-x", "-H", srv.URL, "-D", slapdtest.ReaderDN, "-w", slapdtest.ReaderPassword,
					"-b", slapdtest.PeopleDN, "-E", "pr="+strconv.Itoa(pageSize)+"/noprompt",
					"(objectClass=inetOrgPerson)", "*", "entryUUID", "memberOf")
				cmd.Stdout = io.Discard
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime(syscall.RUSAGE_CHILDREN)-start).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// benchReads reads everything b.N times, checking the count.
func benchReads(b *testing.B, s *Source, users int) {
	b.ReportAllocs()
	start := cpuTime(syscall.RUSAGE_SELF)
	defer func() { b.ReportMetric((cpuTime(syscall.RUSAGE_SELF)-start).Seconds()/float64(b.N), "cpu-s/op") }()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := s.Read(context.Background(), func(mapping.Entry) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != users {
			b.Fatalf("read %d users, want %d", n, users)
		}
	}
}

// cpuTime returns the user and system CPU time of who.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchSource(b *testing.B, srv *slapdtest.Server, pageSize int) *Source {
	pw := filepath.Join(b.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(slapdtest.ReaderPassword), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := Config{URL: srv.URL, BindDN: slapdtest.ReaderDN, PageSize: pageSize}
	cfg.BindPassword.File = pw
	cfg.Users.BaseDN = slapdtest.PeopleDN
	cfg.Groups.BaseDN = slapdtest.GroupsDN
	s, err := New(cfg, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	return s
}
