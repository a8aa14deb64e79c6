package scim

import "testing"

// TestConcurrencyDefaults: the concurrency key wins, else the profile's,
// else DefaultConcurrency.
func TestConcurrencyDefaults(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want int
	}{
		{Config{}, DefaultConcurrency},
		{Config{Profile: ProfileSlack}, 8},
		{Config{Profile: ProfileGitHubEMU}, 2},
		{Config{Profile: ProfileGitHubEMU, Concurrency: 6}, 6},
		{Config{Concurrency: 1}, 1},
	} {
		if got := tc.cfg.withDefaults().Concurrency; got != tc.want {
			t.Errorf("%+v: concurrency %d, want %d", tc.cfg, got, tc.want)
		}
	}
}

// TestTenantKey: the tenant key, else the URL's host, lower case.
func TestTenantKey(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "https://API.slack.com/scim/v2"}, "api.slack.com"},
		{Config{URL: "https://api.slack.com/scim/v2", Tenant: "ACME-Workspace"}, "acme-workspace"},
		{Config{URL: "http://127.0.0.1:8080/scim"}, "127.0.0.1:8080"},
	} {
		if got := tc.cfg.withDefaults().tenantKey(); got != tc.want {
			t.Errorf("%+v: tenant %q, want %q", tc.cfg, got, tc.want)
		}
	}
}

// TestTenantsShare: clients of one tenant with the same limits share one
// pacing (one bucket, one pause); another tenant, or other limits, get
// their own, and the latter is noticed.
func TestTenantsShare(t *testing.T) {
	ts := NewTenants()
	f := func(v float64) *float64 { return &v }
	a := Config{URL: "https://api.slack.com/scim/v2", Profile: ProfileSlack}.withDefaults()
	b := Config{URL: "https://api.slack.com/scim/v2/", Profile: ProfileSlack, Concurrency: 2}.withDefaults()
	other := Config{URL: "https://api.slack.com/scim/v2", Profile: ProfileSlack, Tenant: "second"}.withDefaults()
	faster := Config{URL: "https://api.slack.com/scim/v2", Profile: ProfileSlack, WriteRateLimit: f(20)}.withDefaults()
	pa, _ := ts.pacingFor(a)
	pb, before := ts.pacingFor(b)
	if pa != pb || before != 1 {
		t.Errorf("two targets of one tenant do not share their pacing (%p, %p, %d before)", pa, pb, before)
	}
	if pa.writes == nil {
		t.Error("the Slack profile's write limit is not in the shared pacing")
	}
	if po, _ := ts.pacingFor(other); po == pa {
		t.Error("another tenant shares the pacing")
	}
	if !ts.others(faster) {
		t.Error("other limits on the same tenant go unnoticed")
	}
	if ts.others(a) {
		t.Error("the same limits are reported as other limits")
	}
	if pf, _ := ts.pacingFor(faster); pf == pa {
		t.Error("other limits share the pacing")
	}
}
