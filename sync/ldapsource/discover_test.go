package ldapsource

import (
	"context"
	"errors"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeSRV answers SRV lookups from a table; a name not in it is not found,
// and err, when set, is the answer to everything.
type fakeSRV struct {
	records map[string][]*net.SRV
	err     error
	asked   []string
}

func (f *fakeSRV) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	f.asked = append(f.asked, name)
	if f.err != nil {
		return "", nil, f.err
	}
	recs, ok := f.records[name]
	if !ok {
		return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return "", slices.Clone(recs), nil
}

// TestDiscoverServers: the SRV names asked (the site's first), the order
// of the servers (priority, then the resolver's order), the ports of
// ldaps and the Global Catalog, and the record that says "no service".
func TestDiscoverServers(t *testing.T) {
	dcs := []*net.SRV{
		{Target: "dc3.corp.example.com.", Port: 389, Priority: 10, Weight: 100},
		{Target: "dc1.corp.example.com.", Port: 389, Priority: 0, Weight: 100},
		{Target: "dc2.corp.example.com.", Port: 389, Priority: 0, Weight: 50},
		{Target: ".", Port: 0, Priority: 20},
	}
	tests := []struct {
		name  string
		cfg   DiscoverConfig
		asked []string
		want  []string
	}{
		{"domain controllers", DiscoverConfig{Domain: "corp.example.com"},
			[]string{"_ldap._tcp.dc._msdcs.corp.example.com"},
			[]string{"ldap://dc1.corp.example.com:389", "ldap://dc2.corp.example.com:389", "ldap://dc3.corp.example.com:389"}},
		{"site first, over ldaps", DiscoverConfig{Domain: "corp.example.com.", Site: "HQ", Scheme: "ldaps"},
			[]string{"_ldap._tcp.HQ._sites.dc._msdcs.corp.example.com", "_ldap._tcp.dc._msdcs.corp.example.com"},
			[]string{"ldaps://dc2.corp.example.com:636", "ldaps://dc1.corp.example.com:636", "ldaps://dc3.corp.example.com:636"}},
		{"global catalogs", DiscoverConfig{Domain: "corp.example.com", Service: "gc", Scheme: "ldaps"},
			[]string{"_gc._tcp.corp.example.com"}, []string{"ldaps://gc1.corp.example.com:3269"}},
		{"any ldap server", DiscoverConfig{Domain: "corp.example.com", Service: "ldap"},
			[]string{"_ldap._tcp.corp.example.com"}, []string{"ldap://ldap.corp.example.com:389"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeSRV{records: map[string][]*net.SRV{
				"_ldap._tcp.dc._msdcs.corp.example.com":           dcs,
				"_ldap._tcp.HQ._sites.dc._msdcs.corp.example.com": {{Target: "dc2.corp.example.com.", Port: 389}},
				"_gc._tcp.corp.example.com":                       {{Target: "gc1.corp.example.com.", Port: 3268}},
				"_ldap._tcp.corp.example.com":                     {{Target: "ldap.corp.example.com.", Port: 389}},
			}}
			d := &discovery{cfg: tt.cfg.withDefaults(), resolver: r}
			got, err := d.servers(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("servers %v, want %v", got, tt.want)
			}
			if !slices.Equal(r.asked, tt.asked) {
				t.Errorf("asked for %v, want %v", r.asked, tt.asked)
			}
		})
	}
}

// TestDiscoverErrors: no record, or DNS failing, is an error naming what
// was looked up and what to check; once a lookup has succeeded, DNS
// failing gives the servers found last (the caller logs the error).
func TestDiscoverErrors(t *testing.T) {
	ctx := context.Background()
	r := &fakeSRV{records: map[string][]*net.SRV{"_ldap._tcp.dc._msdcs.corp.example.com": {{Target: ".", Port: 0}}}}
	d := &discovery{cfg: DiscoverConfig{Domain: "corp.example.com", Site: "HQ"}.withDefaults(), resolver: r}
	_, err := d.servers(ctx)
	want := "ldap: discover the domain controllers of corp.example.com: no SRV record " +
		"_ldap._tcp.HQ._sites.dc._msdcs.corp.example.com or _ldap._tcp.dc._msdcs.corp.example.com: " +
		"check discover.domain (and discover.site, discover.service), or name the DNS server with discover.dns_server"
	if err == nil || err.Error() != want {
		t.Errorf("no record: %v\nwant %s", err, want)
	}

	r.err = &net.DNSError{Err: "i/o timeout", Name: "_ldap._tcp.dc._msdcs.corp.example.com", Server: "10.0.0.1:53", IsTimeout: true}
	_, err = d.servers(ctx)
	if err == nil || !strings.Contains(err.Error(), "i/o timeout") || !strings.Contains(err.Error(), "check the DNS server") {
		t.Errorf("DNS failing: %v", err)
	}

	r.err = nil
	r.records["_ldap._tcp.dc._msdcs.corp.example.com"] = []*net.SRV{{Target: "dc1.corp.example.com.", Port: 389}}
	if got, err := d.servers(ctx); err != nil || len(got) != 1 {
		t.Fatalf("servers %v, %v", got, err)
	}
	r.err = errors.New("network is unreachable")
	got, err := d.servers(ctx)
	if err == nil || !slices.Equal(got, []string{"ldap://dc1.corp.example.com:389"}) {
		t.Errorf("DNS failing after a lookup: %v, %v; want the last servers and the error", got, err)
	}
}

// TestDiscoverFailover: a Source with discovery connects to the servers
// DNS names, in their order, failing over from one that is down; with DNS
// naming none, the read fails with the discovery's error.
func TestDiscoverFailover(t *testing.T) {
	down := freeAddr(t)
	up := startFake(t, fakeDC(constant(ntds("DC2"))))
	srv := func(addr string, prio uint16) *net.SRV {
		host, port, _ := net.SplitHostPort(strings.TrimPrefix(addr, "ldap://"))
		p, _ := strconv.Atoi(port)
		return &net.SRV{Target: host + ".", Port: uint16(p), Priority: prio}
	}
	cfg := fakeADConfig("")
	cfg.AllowInsecureLDAP = true
	cfg.Discover = DiscoverConfig{Domain: "example.org"}
	src, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeSRV{records: map[string][]*net.SRV{"_ldap._tcp.dc._msdcs.example.org": {srv(up, 10), srv("ldap://"+down, 0)}}}
	src.discovery.resolver = r
	if dc := markDC(t, src); dc != ntds("DC2") {
		t.Errorf("watermark of %s, want DC2's", dc)
	}
	if u, _ := url.Parse(src.pin.current()); "ldap://"+u.Host != up {
		t.Errorf("connected to %s, want %s", src.pin.current(), up)
	}
	r.records = nil
	if _, err := src.Watermark(context.Background()); err == nil || !strings.Contains(err.Error(), "no SRV record _ldap._tcp.dc._msdcs.example.org") {
		t.Errorf("no records: %v", err)
	}
}

// partialSRV answers like net.Resolver.LookupSRV when the answer holds a
// record whose target is not a valid name: the valid records, and an
// error saying some were left out.
type partialSRV struct{ recs []*net.SRV }

func (p partialSRV) LookupSRV(_ context.Context, _, _, name string) (string, []*net.SRV, error) {
	return "", p.recs, &net.DNSError{Err: "DNS response contained records which contain invalid names", Name: name}
}

// TestDiscoverPartialAnswer: a malformed record among the domain's
// (which the resolver leaves out, with an error) does not hide the
// domain controllers the answer names validly.
func TestDiscoverPartialAnswer(t *testing.T) {
	d := &discovery{cfg: DiscoverConfig{Domain: "corp.example.com"}.withDefaults(),
		resolver: partialSRV{[]*net.SRV{{Target: "dc1.corp.example.com.", Port: 389}}}}
	got, err := d.servers(context.Background())
	if err != nil || !slices.Equal(got, []string{"ldap://dc1.corp.example.com:389"}) {
		t.Errorf("servers %v, %v; want dc1", got, err)
	}
}

// TestDiscoverWithoutCAFileWarns: discovery trusting the system's CAs is
// said at start, with what to set; with ca_file it is not.
func TestDiscoverWithoutCAFileWarns(t *testing.T) {
	for _, caFile := range []string{"", "ca.pem"} {
		cfg := fakeADConfig("")
		cfg.Discover = DiscoverConfig{Domain: "example.org", Scheme: "ldaps"}
		cfg.CAFile = caFile
		log, hook := logtest.NewNullLogger()
		if _, err := New(cfg, log); err != nil {
			t.Fatal(err)
		}
		warned := false
		for _, e := range hook.AllEntries() {
			warned = warned || strings.Contains(e.Message, "discover without ca_file") && strings.Contains(e.Message, "set ca_file")
		}
		if warned != (caFile == "") {
			t.Errorf("ca_file %q: warned %v", caFile, warned)
		}
	}
}
