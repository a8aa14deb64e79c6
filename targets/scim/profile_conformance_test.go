package scim_test

import (
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
	"github.com/idsync/idsync/targets/targetstest"
)

// profileCase is one profile run against the test server's imitation of
// its application.
type profileCase struct {
	profile string
	opts    scimtest.Options
	caps    targetstest.Capabilities
}

func profileCases() []profileCase {
	return []profileCase{
		{profile: scim.ProfileSlack,
			// Pages clamped below the 1000 the profile asks for.
			opts: scimtest.Options{MaxPageSize: 100},
			caps: targetstest.Capabilities{CaseInsensitiveUserName: true, ReportsGroups: true,
				MaxUserNameLength: 21, DeleteDeactivates: true}},
		{profile: scim.ProfileGitHubEMU,
			caps: targetstest.Capabilities{CaseInsensitiveUserName: true, ReportsGroups: true,
				Required: []string{"externalId", "emails.work", "name.givenName", "name.familyName"}}},
		{profile: scim.ProfileAtlassian,
			caps: targetstest.Capabilities{CaseInsensitiveUserName: true, ReportsGroups: true}},
		{profile: scim.ProfileAWS,
			caps: targetstest.Capabilities{CaseInsensitiveUserName: true, ReportsGroups: true, GroupMembers: 120,
				Attrs: singleValuedAttrs()}},
		{profile: scim.ProfileZoom,
			caps: targetstest.Capabilities{CaseInsensitiveUserName: true, ReportsGroups: true, ServerExternalID: true}},
		{profile: scim.ProfileGeneric,
			opts: scimtest.Options{MaxPageSize: 50},
			caps: targetstest.Capabilities{CaseInsensitiveUserName: true, ReportsGroups: true}},
	}
}

// TestConformanceProfiles runs the target suite with every profile
// against the test server imitating that profile's application.
func TestConformanceProfiles(t *testing.T) {
	for _, pc := range profileCases() {
		t.Run(pc.profile, func(t *testing.T) {
			t.Parallel()
			targetstest.Run(t, func(t *testing.T) targets.Target {
				c, _ := startProfile(t, pc.profile, pc.opts)
				return c
			}, pc.caps)
		})
	}
}

// startProfile starts the test server in the mode of profile and returns
// a client with that profile (no rate limits, fast retries).
func startProfile(t *testing.T, profile string, opts scimtest.Options) (*scim.Client, *scimtest.Server) {
	t.Helper()
	opts.Profile = profile
	url, token, srv := scimtest.Start(t, opts)
	cfg := testConfig(t, url, token)
	cfg.Profile = profile
	cfg.WriteRateLimit = ptr(0.0)
	c, _ := newClient(t, cfg)
	return c, srv
}

// singleValuedAttrs are the attribute paths with one type of each
// multi-valued attribute (emails.work, phoneNumbers.work), for AWS.
func singleValuedAttrs() []string {
	var out []string
	for _, p := range targets.AttributeNames() {
		def, _ := targets.LookupAttribute(p)
		switch {
		case p == "userName" || p == "externalId" || p == "active":
		case def.Kind == targets.KindTyped && !strings.HasSuffix(p, ".work"):
		default:
			out = append(out, p)
		}
	}
	return out
}
