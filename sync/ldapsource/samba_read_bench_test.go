package ldapsource

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
)

// BenchmarkADRead10k measures a full plan of 10,000 more people added to the Samba DC (read with the AD defaults,
// groups and primary groups, mapped, planned against an empty target)
// against `ldapsearch -E pr=1000/noprompt` of the same people and
// attributes from the same DC, and the test process's peak RSS. Adding the
// people takes minutes: run it with -benchtime 1x (make bench-ad).
func BenchmarkADRead10k(b *testing.B) {
	t := b
	s := sambatest.Start(t)
	c := s.Conn(t)
	ou := "OU=Bench," + sambatest.BaseDN
	if err := c.Add(&ldap.AddRequest{DN: ou, Attributes: []ldap.Attribute{{Type: "objectClass", Vals: []string{"organizationalUnit"}}}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 10000 {
		req := ldap.NewAddRequest(fmt.Sprintf("CN=Bench %05d,%s", i, ou), nil)
		req.Attribute("objectClass", []string{"user"})
		req.Attribute("sAMAccountName", []string{fmt.Sprintf("bench%05d", i)})
		req.Attribute("mail", []string{fmt.Sprintf("bench%05d@example.org", i)})
		req.Attribute("title", []string{"Engineer"})
		req.Attribute("userAccountControl", []string{"514"})
		if err := c.Add(req); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("added 10,000 people in %v", time.Since(start).Round(time.Second))

	cfg := adConfig(t, s)
	cfg.PageSize = 1000
	mc := mapping.Config{Scope: `has("mail")`, Attributes: map[string]string{"title": `attr("title")`}}
	cfg.MappingDefaults(&mc)
	m, err := mapping.Compile(mc)
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	best := func(f func() int) (time.Duration, int) {
		var min time.Duration
		n := 0
		for range 3 {
			st := time.Now()
			n = f()
			if d := time.Since(st); min == 0 || d < min {
				min = d
			}
		}
		return min, n
	}
	now := time.Now()
	plan, people := best(func() int {
		var ps []mapping.Person
		if err := src.Read(context.Background(), func(e mapping.Entry) error {
			p, err := m.Map(e, now)
			ps = append(ps, p)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		p := sync.BuildPlan(sync.Input{Target: "bench", Now: now, People: ps, Managed: m.AttributePaths(), Rule: m.Rule})
		_ = p
		return len(ps)
	})
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)

	pw := sambatest.ServicePassword
	search, lines := best(func() int {
		cmd := exec.Command("ldapsearch", "-LLL", "-x", "-H", s.LDAPSURL, "-D", sambatest.ServiceDNValue, "-w", pw,
			"-b", sambatest.BaseDN, "-E", "pr=1000/noprompt", ADUserFilter)
		cmd.Args = append(cmd.Args, src.userAttrs...)
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+s.CAFile)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ldapsearch: %v", err)
		}
		return strings.Count(string(out), "\ndn: ") + 1
	})
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("full plan of %d people: %v; ldapsearch of %d: %v; ratio %.2f; peak RSS %s MiB (before %s); load %s",
		people, plan.Round(time.Millisecond), lines, search.Round(time.Millisecond),
		float64(plan)/float64(search), strconv.FormatInt(ru.Maxrss/1024, 10), strconv.FormatInt(ru0.Maxrss/1024, 10),
		strings.TrimSpace(string(load)))
	b.ReportMetric(float64(plan)/float64(search), "x-ldapsearch")
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
}
