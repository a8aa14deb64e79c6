package scim_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
	"github.com/idsync/idsync/targets/targetstest"
)

func ptr[T any](v T) *T { return &v }

// testConfig is a config for a test server: the token in a file, no rate
// limit, millisecond backoff.
func testConfig(t testing.TB, url, token string) scim.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return scim.Config{
		URL:          url,
		Token:        secret.Ref{File: path},
		Timeout:      duration.Of(10 * time.Second),
		RateLimit:    ptr(0.0),
		RetryMinWait: duration.Of(time.Millisecond),
		RetryMaxWait: duration.Of(20 * time.Millisecond),
	}
}

// newClient builds a client whose log goes to a test hook.
func newClient(t testing.TB, cfg scim.Config) (*scim.Client, *test.Hook) {
	t.Helper()
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	c, err := scim.New(cfg, log)
	if err != nil {
		t.Fatalf("scim.New: %v", err)
	}
	return c, hook
}

func TestConformanceScimtest(t *testing.T) {
	targetstest.Run(t, func(t *testing.T) targets.Target {
		url, token, _ := scimtest.Start(t, scimtest.Options{MaxMembersPerPatch: 10})
		cfg := testConfig(t, url, token)
		cfg.MaxMembersPerPatch = 10
		c, _ := newClient(t, cfg)
		return c
	}, targetstest.Capabilities{CaseInsensitiveUserName: true, PagingUsers: 250, GroupMembers: 25, ReportsGroups: true})
}

// TestConformanceScimtestPutAndRepeatedPages runs the suite with
// update_method = "put" against a server that pages like SCIMMY.
func TestConformanceScimtestPutAndRepeatedPages(t *testing.T) {
	targetstest.Run(t, func(t *testing.T) targets.Target {
		url, token, _ := scimtest.Start(t, scimtest.Options{RepeatPastEnd: true, MaxPageSize: 50})
		cfg := testConfig(t, url, token)
		cfg.UpdateMethod = scim.UpdatePut
		c, _ := newClient(t, cfg)
		return c
	}, targetstest.Capabilities{CaseInsensitiveUserName: true, PagingUsers: 200, GroupMembers: 150})
}

// TestConformanceScimtestLyingPages runs the suite against a server whose
// pages are capped below the count asked for and claim a totalResults
// equal to the page's size, as some SaaS APIs do.
func TestConformanceScimtestLyingPages(t *testing.T) {
	targetstest.Run(t, func(t *testing.T) targets.Target {
		// And that does not report users' groups.
		url, token, srv := scimtest.Start(t, scimtest.Options{NoUserGroups: true})
		srv.CapPages(40)
		c, _ := newClient(t, testConfig(t, url, token))
		return c
	}, targetstest.Capabilities{CaseInsensitiveUserName: true, PagingUsers: 200, GroupMembers: 150})
}

// TestConformanceSCIMMY runs the suite against SCIMMY, a SCIM server
// nobody here wrote. It compares userName case-sensitively (so does our
// server.js's uniqueness check, like SCIMMY's filters), and a page past
// the end repeats the first page.
func TestConformanceSCIMMY(t *testing.T) {
	targetstest.Run(t, func(t *testing.T) targets.Target {
		url, token := scimtest.StartSCIMMY(t)
		cfg := testConfig(t, url, token)
		cfg.MaxMembersPerPatch = 10
		c, _ := newClient(t, cfg)
		return c
	}, targetstest.Capabilities{CaseInsensitiveUserName: false, PagingUsers: 250, GroupMembers: 25, ReportsGroups: true})
}

// TestExcludedAttributesKeepAccounts runs against both servers: listing
// with the default excluded_attributes gives exactly the accounts, every
// attribute, that listing with excluded_attributes = [] gives, and the
// server does leave meta out, so the comparison is not vacuous.
func TestExcludedAttributesKeepAccounts(t *testing.T) {
	t.Run("scimtest", func(t *testing.T) {
		url, token, srv := scimtest.Start(t, scimtest.Options{})
		// A user whose groups attribute is filled, as many servers do.
		if _, err := srv.SeedResource("User", map[string]any{"userName": "grouped", "active": true,
			"groups": []any{map[string]any{"value": "g1", "display": "Staff"}}}); err != nil {
			t.Fatal(err)
		}
		checkExclusionsKeepAccounts(t, url, token)
	})
	t.Run("SCIMMY", func(t *testing.T) {
		url, token := scimtest.StartSCIMMY(t)
		checkExclusionsKeepAccounts(t, url, token)
	})
}

func checkExclusionsKeepAccounts(t *testing.T, url, token string) {
	cfg := testConfig(t, url, token)
	cfg.PageSize = 2 // several pages
	cfg.ExcludedAttributes = &[]string{}
	all, _ := newClient(t, cfg)
	cfg.ExcludedAttributes = nil
	def, _ := newClient(t, cfg)

	created := map[string]targets.Account{}
	for i, a := range []targets.Account{fullAccount("full", 1), fullAccount("other", 2), {UserName: "bare", Active: true}} {
		a.Active = i != 1
		id, err := all.Create(t.Context(), a)
		if err != nil {
			t.Fatalf("Create(%s): %v", a.UserName, err)
		}
		created[id] = a
	}
	gm := targets.GroupManager(all)
	gid, err := gm.CreateGroup(t.Context(), "staff")
	if err != nil {
		t.Fatal(err)
	}
	if err := gm.ModifyMembers(t.Context(), gid, slices.Collect(maps.Keys(created)), nil); err != nil {
		t.Fatal(err)
	}

	want, got := listByID(t, all), listByID(t, def)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with the default exclusions List gives\n%v\nwithout\n%v", got, want)
	}
	for id, a := range created {
		if l := want[id]; l.UserName != a.UserName || l.ExternalID != a.ExternalID || l.Active != a.Active ||
			!slices.Equal(l.Attrs.InOrder(), a.Attrs.InOrder()) {
			t.Errorf("listed %+v\nwant   %+v", l, a)
		}
	}

	for query, wantMeta := range map[string]bool{"": true, "?excludedAttributes=meta,groups": false} {
		for _, r := range rawList(t, url+"/Users"+query, token) {
			if _, ok := r["meta"]; ok != wantMeta || r["id"] == nil || r["userName"] == nil {
				t.Errorf("GET /Users%s: a resource with meta %v, id %v, userName %v", query, ok, r["id"], r["userName"])
			}
		}
	}
}

// fullAccount has a value for every attribute path the SCIM target maps.
func fullAccount(name string, n int) targets.Account {
	a := targets.Account{UserName: name, ExternalID: "ext-" + name, Attrs: targets.Attrs{}}
	for _, p := range targets.AttributeNames() {
		var v string
		switch {
		case p == "userName" || p == "externalId" || p == "active":
			continue
		case strings.HasPrefix(p, "emails."):
			v = fmt.Sprintf("%s.%d.%s@example.test", name, n, p[len("emails."):])
		case strings.HasPrefix(p, "phoneNumbers."):
			v = fmt.Sprintf("+44 20 7946 %04d", n*10+len(p))
		case p == "preferredLanguage" || p == "locale":
			v = []string{"en-GB", "de-DE"}[n%2]
		case p == "timezone":
			v = []string{"Europe/London", "Europe/Berlin"}[n%2]
		case p == "profileUrl":
			v = fmt.Sprintf("https://example.test/people/%s", name)
		default:
			v = fmt.Sprintf("%s %s %d", p, name, n)
		}
		a.Attrs.Set(p, v)
	}
	return a
}

// listByID lists c's users by id.
func listByID(t *testing.T, c *scim.Client) map[string]targets.Account {
	t.Helper()
	out := map[string]targets.Account{}
	if err := c.List(t.Context(), func(a targets.Account) error { out[a.ID] = a; return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	return out
}

// rawList GETs a list and returns its resources as generic objects.
func rawList(t *testing.T, url, token string) []map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Resources []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK || len(page.Resources) == 0 {
		t.Fatalf("GET %s: %s, %d resources, %v", url, resp.Status, len(page.Resources), err)
	}
	return page.Resources
}
