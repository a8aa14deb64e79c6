package ldapsource

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// TestADDiscover: with discover set, idsync finds the domain controllers
// in the SRV records of the DC's own DNS server: the site's first (here a
// DC that is down: the read fails over from it), then the domain's, and
// reads the domain over LDAPS from the DC found, its certificate checked
// for the name DNS gave. A domain DNS knows nothing of is a clear error.
func TestADDiscover(t *testing.T) {
	s := sambatest.Start(t, sambatest.WithDNS())
	// Provisioned on loopback, the DC registered no address for its
	// name: give it this DC's. dc0, in site HQ, is down.
	for _, r := range [][4]string{
		{sambatest.DNSDomain, sambatest.HostName, "A", s.IP},
		{sambatest.DNSDomain, "dc0", "A", "127.0.0.254"},
		{"_msdcs." + sambatest.DNSDomain, "_ldap._tcp.HQ._sites.dc", "SRV", "dc0." + sambatest.DNSDomain + " 389 0 100"},
	} {
		if err := s.AddDNSRecord(r[0], r[1], r[2], r[3]); err != nil {
			t.Fatal(err)
		}
	}
	cfg := adConfig(t, s)
	cfg.URL = ""
	cfg.Discover = DiscoverConfig{Domain: sambatest.DNSDomain, Site: "HQ", Scheme: "ldaps", DNSServer: s.IP + ":53"}
	cfg.Users.BaseDN, cfg.Groups.BaseDN = sambatest.StatesDN, ""
	log, hook := logtest.NewNullLogger()
	src, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := src.Read(context.Background(), func(mapping.Entry) error { n++; return nil }); err != nil || n != len(sambatest.Specials) {
		t.Fatalf("Read: %d people, %v", n, err)
	}
	if got, want := src.pin.current(), "ldaps://dc1."+sambatest.DNSDomain+":636"; got != want {
		t.Errorf("connected to %s, want %s", got, want)
	}
	var msgs []string
	for _, e := range hook.AllEntries() {
		msgs = append(msgs, fmt.Sprint(e.Message, " ", e.Data["url"]))
	}
	if got := strings.Join(msgs, "; "); !strings.Contains(got, "server unreachable ldaps://dc0."+sambatest.DNSDomain+":636") ||
		!strings.Contains(got, "failed over") {
		t.Errorf("log: %s", got)
	}

	// The Global Catalog, found by _gc._tcp.
	gc := cfg
	gc.Discover = DiscoverConfig{Domain: sambatest.DNSDomain, Service: DiscoverGC, Scheme: "ldaps", DNSServer: s.IP + ":53"}
	if err := checkRead(t, gc); err != nil {
		t.Errorf("Global Catalog found by DNS: %v", err)
	}

	bad := cfg
	bad.Discover = DiscoverConfig{Domain: "elsewhere.example.net", Scheme: "ldaps", DNSServer: s.IP + ":53"}
	err = checkRead(t, bad)
	if err == nil || !strings.Contains(err.Error(), "discover the domain controllers of elsewhere.example.net") {
		t.Errorf("a domain DNS does not know: %v", err)
	}
}
