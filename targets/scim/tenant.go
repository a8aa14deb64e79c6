package scim

import (
	"fmt"
	"net/url"
	"strings"
	gosync "sync"

	"golang.org/x/time/rate"

	"github.com/idsync/idsync/targets/retry"
)

// Tenants holds the pacing that clients pointing at one tenant of a vendor
// share, because the vendor's limit is org-wide (Slack: 600 writes a
// minute across every SCIM app of a workspace): one token bucket for all
// requests, one for writes, and the pause a Retry-After sets. A tenant is
// the tenant key of the configuration, or else the host of the URL.
// Clients share only when they agree on the limits (rate_limit, burst,
// write_rate_limit, write_burst); see Client.Tenant. The zero value is not
// usable; it is safe for concurrent use.
type Tenants struct {
	mu gosync.Mutex
	m  map[string]*tenantPacing
}

// tenantPacing is one tenant's shared pacing.
type tenantPacing struct {
	requests *retry.Pacer
	writes   *rate.Limiter // nil: writes are not paced separately
	users    int
}

// NewTenants returns an empty set of tenants.
func NewTenants() *Tenants { return &Tenants{m: map[string]*tenantPacing{}} }

// Option changes a Client built by New.
type Option func(*options)

type options struct{ tenants *Tenants }

// WithTenants makes the client share its pacing with the other clients of
// ts that point at the same tenant with the same limits. Without it a
// client paces itself alone.
func WithTenants(ts *Tenants) Option { return func(o *options) { o.tenants = ts } }

// tenantKey is the configured tenant, or the URL's host, lower case.
func (s settings) tenantKey() string {
	if s.Tenant != "" {
		return strings.ToLower(s.Tenant)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return s.URL
	}
	return strings.ToLower(u.Host)
}

// pacingFor returns the shared pacing of s's tenant and limits, made on
// first use, and how many clients used it before.
func (ts *Tenants) pacingFor(s settings) (*tenantPacing, int) {
	key := fmt.Sprintf("%s|%g|%d|%g|%d", s.tenantKey(), s.rateLimit, s.burst, s.writeRate, s.writeBurst)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	p := ts.m[key]
	if p == nil {
		p = newPacing(s)
		ts.m[key] = p
	}
	p.users++
	return p, p.users - 1
}

// others reports whether another set of limits is in use for key.
func (ts *Tenants) others(s settings) bool {
	prefix := s.tenantKey() + "|"
	mine := fmt.Sprintf("%s%g|%d|%g|%d", prefix, s.rateLimit, s.burst, s.writeRate, s.writeBurst)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for k := range ts.m {
		if strings.HasPrefix(k, prefix) && k != mine {
			return true
		}
	}
	return false
}

func newPacing(s settings) *tenantPacing {
	p := &tenantPacing{requests: retry.NewPacer(s.rateLimit, s.burst)}
	if s.writeRate > 0 {
		p.writes = rate.NewLimiter(rate.Limit(s.writeRate), s.writeBurst)
	}
	return p
}
