package ldapsource

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
)

// TestADFailoverTwoDCs: two real domain controllers of one domain (the
// second joined to the first). The watcher follows DC1; when DC1 goes
// down it fails over to DC2, whose identity differs from the cookie's, so
// the first run after it is a full reconciliation, which brings a change
// made on DC2 only; DC2's next changes arrive incrementally. When DC1 is
// back (without DC2's changes: the two do not replicate here), the
// watcher and the runs stay on DC2, so a change made on DC2 still arrives
// and a full plan from where idsync reads finds nothing left to do.
func TestADFailoverTwoDCs(t *testing.T) {
	dc1 := sambatest.Start(t, sambatest.WithDNS())
	if err := dc1.GrantDirSync(sambatest.ServiceDNValue, true); err != nil {
		t.Fatal(err)
	}
	dc2 := dc1.Join(t, "dc2")
	cfg := adConfig(t, dc1)
	cfg.FailoverURLs = []string{dc2.LDAPSURL}
	cfg.CAFile = caBundle(t, dc1.CAFile, dc2.CAFile)
	p := newADPipeline(t, dc1, cfg, mapping.Config{Scope: `has("mail")`,
		Attributes: map[string]string{"title": `attr("title")`}})
	p.follow(nil)
	p.next("the first event (full)")
	title := func(n int) string { return p.users()[sambatest.StaffSAM(n)].Attrs.Get("title") }

	p.modify(staffDN(40), func(r *ldap.ModifyRequest) { r.Replace("title", []string{"On DC1"}) })
	p.until("a change on DC1", func() bool { return title(40) == "On DC1" })

	dc1.Stop()
	c2 := dc2.Conn(t)
	modify2 := func(n int, v string) {
		t.Helper()
		req := ldap.NewModifyRequest(staffDN(n), nil)
		req.Replace("title", []string{v})
		if err := c2.Modify(req); err != nil {
			t.Fatalf("modify on DC2: %v", err)
		}
	}
	modify2(41, "On DC2")
	out := p.next("the first run after DC1 went down")
	if out == nil || len(out.Plans) != 1 || out.Plans[0].Incremental != nil {
		t.Fatalf("the first run after the failover: %+v, want a full reconciliation", out)
	}
	for title(41) != "On DC2" { // the change may have come after the full read
		p.incremental("the change made on DC2")
	}

	modify2(42, "Still DC2")
	p.until("the next change on DC2", func() bool { return title(42) == "Still DC2" })

	if err := dc1.Start(); err != nil {
		t.Fatal(err)
	}
	modify2(43, "DC1 is back")
	p.until("a change on DC2 with DC1 back", func() bool { return title(43) == "DC1 is back" })

	plan, err := p.r.Run(context.Background(), sync.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range plan.Plans[0].Changes {
		if c.Action != sync.Record && c.Kind != sync.Orphan {
			t.Errorf("full plan with DC1 back: %s %s %s %v", c.Kind, c.Action, c.UserName, c.Reasons)
		}
	}
}

// caBundle writes the PEM files given into one, for ca_file.
func caBundle(t *testing.T, files ...string) string {
	t.Helper()
	var pem []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pem = append(pem, b...)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
