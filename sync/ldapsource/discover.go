package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
)

// DiscoverConfig is the [source.ldap.discover] section: find the domain
// controllers in DNS, by the SRV records every AD domain has, instead of
// listing them in url and failover_urls. They are tried in the order of
// the records' priority (then weight), with the same failover.
type DiscoverConfig struct {
	// Domain is the domain's DNS name (corp.example.com); setting it
	// turns discovery on.
	Domain string `toml:"domain"`
	// Service is what to look up: "dc" (default) the domain's
	// controllers (_ldap._tcp.dc._msdcs.DOMAIN), "ldap" any LDAP server
	// registered for the domain (_ldap._tcp.DOMAIN), "gc" the forest's
	// Global Catalogs (_gc._tcp.DOMAIN, port 3268).
	Service string `toml:"service"`
	// Site, when set, looks up the DCs of that AD site first
	// (_ldap._tcp.SITE._sites.dc._msdcs.DOMAIN), then the others.
	Site string `toml:"site"`
	// Scheme is "ldap" (default: the port of the record, with start_tls
	// as set) or "ldaps": port 636 of each DC found (3269 for "gc").
	Scheme string `toml:"scheme"`
	// DNSServer is the DNS server (host:port) to ask, for the SRV
	// records and the DCs' addresses; the system's resolver when empty.
	DNSServer string `toml:"dns_server"`
}

// Values of DiscoverConfig.Service.
const (
	DiscoverDC   = "dc"
	DiscoverLDAP = "ldap"
	DiscoverGC   = "gc"
)

func (c DiscoverConfig) on() bool { return c.Domain != "" }

func (c DiscoverConfig) withDefaults() DiscoverConfig {
	if c.Service == "" {
		c.Service = DiscoverDC
	}
	if c.Scheme == "" {
		c.Scheme = "ldap"
	}
	return c
}

// names returns the SRV names to look up, in order: the site's first.
func (c DiscoverConfig) names() []string {
	d := strings.TrimSuffix(c.Domain, ".")
	var out []string
	switch c.Service {
	case DiscoverGC:
		if c.Site != "" {
			out = append(out, "_gc._tcp."+c.Site+"._sites."+d)
		}
		return append(out, "_gc._tcp."+d)
	case DiscoverLDAP:
		if c.Site != "" {
			out = append(out, "_ldap._tcp."+c.Site+"._sites."+d)
		}
		return append(out, "_ldap._tcp."+d)
	}
	if c.Site != "" {
		out = append(out, "_ldap._tcp."+c.Site+"._sites.dc._msdcs."+d)
	}
	return append(out, "_ldap._tcp.dc._msdcs."+d)
}

// validateDiscover checks the discover keys and returns whether the
// connections to the servers found will use TLS.
func (c Config) validateDiscover(add func(key, format string, args ...any)) bool {
	d := c.Discover
	if !d.on() {
		if d != (DiscoverConfig{Service: DiscoverDC, Scheme: "ldap"}) {
			add("discover.domain", "required with the other discover keys")
		}
		return false
	}
	if c.URL != "" || len(c.FailoverURLs) > 0 {
		add("discover.domain", "set either url (and failover_urls) or discover.domain, not both")
	}
	if !validDNSName(d.Domain) {
		add("discover.domain", "must be a DNS name like corp.example.com, got %q", d.Domain)
	}
	if d.Site != "" && (strings.Contains(d.Site, ".") || !validDNSName(d.Site)) {
		add("discover.site", "must be an AD site name like Default-First-Site-Name, got %q", d.Site)
	}
	if d.Service != DiscoverDC && d.Service != DiscoverLDAP && d.Service != DiscoverGC {
		add("discover.service", `must be "dc", "ldap" or "gc", got %q`, d.Service)
	}
	if d.DNSServer != "" {
		host, port, err := net.SplitHostPort(d.DNSServer)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			add("discover.dns_server", "must be host:port (10.0.0.1:53), got %q", d.DNSServer)
		}
	}
	if c.ServerName != "" {
		add("server_name", "cannot be used with discover.domain (each domain controller's certificate is checked against its own DNS name)")
	}
	if c.InsecureSkipVerify {
		add("insecure_skip_verify", "cannot be used with discover.domain (DNS would choose the servers the bind password goes to, unverified)")
	}
	tls := c.StartTLS
	switch d.Scheme {
	case "ldap":
	case "ldaps":
		tls = true
		if c.StartTLS {
			add("start_tls", `cannot be used with discover.scheme = "ldaps" (already TLS)`)
		}
	default:
		add("discover.scheme", `must be "ldap" or "ldaps", got %q`, d.Scheme)
	}
	if !tls && !c.AllowInsecureLDAP {
		add("discover.scheme", "plain ldap to the domain controllers found sends the bind password and every entry in clear text: "+
			`use scheme = "ldaps", or set start_tls = true, or set allow_insecure_ldap = true to accept it`)
	}
	return tls
}

func validDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// srvResolver is what discovery needs of a *net.Resolver.
type srvResolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// discovery finds the servers of a Source with discover set, and keeps
// the last list found for when DNS cannot answer.
type discovery struct {
	cfg      DiscoverConfig
	resolver srvResolver

	mu   gosync.Mutex
	last []string
}

// dnsResolver returns a resolver that asks server (host:port), or the
// system's resolver when server is empty.
func dnsResolver(server string) *net.Resolver {
	if server == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}

// servers looks up the SRV records and returns the URLs of the servers
// they name: by priority (lowest first), in the resolver's weighted order
// within a priority, the site's before the others, each once. When DNS
// fails but an earlier lookup succeeded, it returns that one's list and
// the error to log.
func (d *discovery) servers(ctx context.Context) ([]string, error) {
	var urls, tried []string
	var errs []error
	for _, name := range d.cfg.names() {
		tried = append(tried, name)
		_, recs, err := d.resolver.LookupSRV(ctx, "", "", name)
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			continue
		}
		if err != nil && len(recs) == 0 {
			errs = append(errs, err)
			continue
		}
		// With an error, recs are the valid records of an answer that
		// also held malformed ones (net.Resolver leaves those out).
		slices.SortStableFunc(recs, func(a, b *net.SRV) int { return int(a.Priority) - int(b.Priority) })
		for _, r := range recs {
			if u := d.url(r); u != "" && !slices.Contains(urls, u) {
				urls = append(urls, u)
			}
		}
	}
	if len(urls) > 0 {
		d.mu.Lock()
		d.last = urls
		d.mu.Unlock()
		return urls, nil
	}
	err := fmt.Errorf("ldap: discover the domain controllers of %s: no SRV record %s: "+
		"check discover.domain (and discover.site, discover.service), or name the DNS server with discover.dns_server",
		d.cfg.Domain, strings.Join(tried, " or "))
	if len(errs) > 0 {
		err = fmt.Errorf("ldap: discover the domain controllers of %s: look up %s: %w: "+
			"check the DNS server (discover.dns_server, or the system's resolver)", d.cfg.Domain, strings.Join(tried, " and "), errors.Join(errs...))
	}
	d.mu.Lock()
	last := d.last
	d.mu.Unlock()
	if len(errs) > 0 && len(last) > 0 {
		return last, err
	}
	return nil, err
}

// url returns the URL of the server a record names; "" for the record
// that says the service is not offered (target ".").
func (d *discovery) url(r *net.SRV) string {
	host := strings.TrimSuffix(r.Target, ".")
	if host == "" {
		return ""
	}
	port := int(r.Port)
	if d.cfg.Scheme == "ldaps" {
		port = 636
		if d.cfg.Service == DiscoverGC {
			port = 3269
		}
	}
	return d.cfg.Scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
}
