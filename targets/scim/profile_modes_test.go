package scim_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// groupMembers lists the groups of gm by display name.
func groupMembers(t *testing.T, gm targets.GroupManager) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	if err := gm.ListGroups(t.Context(), func(g targets.Group) error {
		m := slices.Clone(g.Members)
		slices.Sort(m)
		out[g.DisplayName] = m
		return nil
	}); err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	return out
}

// TestAWSGroupMembersReadByFilter: the AWS imitation's group reads list no
// members; with the profile ListGroups still reports them (read with the
// member filter, pages by cursor), without it they look empty, which is
// what the profile exists to prevent.
func TestAWSGroupMembersReadByFilter(t *testing.T) {
	cfg, _, rec := startRecorded(t, scim.ProfileAWS, scimtest.Options{})
	cfg.PageSize = 2
	c, _ := newClient(t, cfg)
	ids := createUsers(t, c, "u", 5)
	gid, err := c.CreateGroup(t.Context(), "staff")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(t.Context(), "empty"); err != nil {
		t.Fatal(err)
	}
	if err := c.ModifyMembers(t.Context(), gid, ids[:3], nil); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(ids[:3]))
	got := groupMembers(t, c)
	if !slices.Equal(got["staff"], want) || len(got["empty"]) != 0 {
		t.Errorf("ListGroups = %v, want staff %v and empty none", got, want)
	}
	if rec.seen("cursor=") == 0 || rec.seen("startIndex=") != 0 {
		t.Errorf("lists did not page by cursor: %d with a cursor, %d with startIndex", rec.seen("cursor="), rec.seen("startIndex="))
	}
	_, groups, known, err := c.GetWithGroups(t.Context(), ids[0])
	if err != nil || !known || !slices.Equal(groups, []string{gid}) {
		t.Errorf("GetWithGroups = %v, %v, %v; want [%s], known", groups, known, err, gid)
	}

	cfg.Profile = ""
	plain, _ := newClient(t, cfg)
	if got := groupMembers(t, plain); len(got["staff"]) != 0 {
		t.Errorf("the imitation listed members %v: group reads must list none", got["staff"])
	}
	if err := plain.List(t.Context(), func(targets.Account) error { return nil }); !errors.Is(err, scim.ErrIgnoresStartIndex) {
		t.Errorf("startIndex paging against the AWS imitation = %v, want ErrIgnoresStartIndex", err)
	}
}

// TestAWSRefusesWholeMemberReplace: the imitation refuses what AWS
// refuses: a replace of all members, a remove of all of them.
func TestAWSRefusesWholeMemberReplace(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{Profile: scimtest.ProfileAWS})
	gid, err := srv.SeedGroup("g")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{
		`{"op":"replace","path":"members","value":[{"value":"x"}]}`,
		`{"op":"remove","path":"members"}`,
		`{"op":"replace","value":{"members":[]}}`,
	} {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + op + `]}`
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, url+"/Groups/"+gid, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PATCH %s: %s, want 400", op, resp.Status)
		}
	}
}

// TestSlackClampedPagesDetected: Slack serves at most 1000 a page whatever
// count says; a server clamping below the page size is noticed and named.
func TestSlackClampedPagesDetected(t *testing.T) {
	cfg, _, _ := startRecorded(t, scim.ProfileSlack, scimtest.Options{MaxPageSize: 3})
	c, hook := newClient(t, cfg)
	createUsers(t, c, "s", 8)
	n := 0
	if err := c.List(t.Context(), func(targets.Account) error { n++; return nil }); err != nil || n != 8 {
		t.Fatalf("List = %d accounts, %v; want 8", n, err)
	}
	if got := c.Clamped("/Users"); got != 3 {
		t.Errorf("Clamped(/Users) = %d, want 3", got)
	}
	warned := 0
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && e.Data["served"] == 3 {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("%d clamp warnings, want 1", warned)
	}
}

// TestSlackWriteLock: a write to a user another write holds is answered
// 429; the client retries it once the lock is gone.
func TestSlackWriteLock(t *testing.T) {
	cfg, srv, _ := startRecorded(t, scim.ProfileSlack, scimtest.Options{})
	cfg.MaxRetries = ptr(0)
	c, _ := newClient(t, cfg)
	id, err := c.Create(t.Context(), targets.Account{UserName: "jane", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	release, ok := srv.HoldWrite("/Users/" + id)
	if !ok {
		t.Fatal("HoldWrite: held already")
	}
	var serr *scim.StatusError
	if err := c.Deactivate(t.Context(), id); !errors.As(err, &serr) || serr.Status != http.StatusTooManyRequests {
		t.Errorf("Deactivate of a locked user = %v, want 429", err)
	}
	release()
	if err := c.Deactivate(t.Context(), id); err != nil {
		t.Errorf("Deactivate after the lock: %v", err)
	}
}

// TestAtlassianRecreateDropsRestoredGroups: Atlassian gives a user created
// again under a known userName its old groups; the profile removes them,
// so only what the plan grants remains.
func TestAtlassianRecreateDropsRestoredGroups(t *testing.T) {
	cfg, _, _ := startRecorded(t, scim.ProfileAtlassian, scimtest.Options{})
	c, _ := newClient(t, cfg)
	cfg.Profile = ""
	plain, _ := newClient(t, cfg)
	for _, tc := range []struct {
		name   string
		c      *scim.Client
		groups int
	}{{"plain", plain, 1}, {"profile", c, 0}} {
		id, err := tc.c.Create(t.Context(), targets.Account{UserName: "re-" + tc.name, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		gid, err := tc.c.CreateGroup(t.Context(), "old-"+tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := tc.c.ModifyMembers(t.Context(), gid, []string{id}, nil); err != nil {
			t.Fatal(err)
		}
		if err := tc.c.Delete(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		again, err := tc.c.Create(t.Context(), targets.Account{UserName: "re-" + tc.name, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		_, groups, _, err := tc.c.GetWithGroups(t.Context(), again)
		if err != nil || len(groups) != tc.groups {
			t.Errorf("%s: re-created user in groups %v (%v), want %d", tc.name, groups, err, tc.groups)
		}
	}
}

// TestZoomExternalIDNotSent: Zoom owns externalId; the profile never
// sends one, and updates do not fight over it.
func TestZoomExternalIDNotSent(t *testing.T) {
	for _, method := range []string{scim.UpdatePatch, scim.UpdatePut} {
		cfg, srv, _ := startRecorded(t, scim.ProfileZoom, scimtest.Options{})
		cfg.UpdateMethod = method
		c, _ := newClient(t, cfg)
		id, err := c.Create(t.Context(), targets.Account{UserName: "z@example.test", ExternalID: "src-1", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := srv.User(id)
		if err := c.Update(t.Context(), id, targets.Account{UserName: "z@example.test", ExternalID: "src-1", Active: false}); err != nil {
			t.Fatalf("%s: Update: %v", method, err)
		}
		after, _ := srv.User(id)
		if before["externalId"] == "src-1" || after["externalId"] != before["externalId"] || after["active"] != false {
			t.Errorf("%s: externalId %v then %v, active %v; want Zoom's own kept", method, before["externalId"], after["externalId"], after["active"])
		}
	}
}

// TestGenericAdaptsToServiceProviderConfig: the generic profile reads
// maxResults and pages by it; a server without the endpoint is used with
// the configured settings.
func TestGenericAdaptsToServiceProviderConfig(t *testing.T) {
	cfg, _, rec := startRecorded(t, scim.ProfileGeneric, scimtest.Options{MaxPageSize: 4})
	c, _ := newClient(t, cfg)
	createUsers(t, c, "g", 9)
	if err := c.List(t.Context(), func(targets.Account) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if rec.seen("GET /ServiceProviderConfig") != 1 || rec.seen("count=4") == 0 || rec.seen("count=100") != 0 {
		t.Errorf("requests %v: want one ServiceProviderConfig read and pages of 4", rec.queries)
	}
	if got := c.Clamped("/Users"); got != 0 {
		t.Errorf("Clamped = %d after adapting, want 0", got)
	}
}

// TestPutKeepsWhatIdsyncDoesNotManage: Slack, GitHub and Atlassian wipe
// what a PUT leaves out (as the test server does); the client's PUT is
// always the whole resource as read, so an unmanaged attribute survives.
func TestPutKeepsWhatIdsyncDoesNotManage(t *testing.T) {
	cfg, srv, _ := startRecorded(t, scim.ProfileSlack, scimtest.Options{})
	cfg.UpdateMethod = scim.UpdatePut
	c, _ := newClient(t, cfg)
	id, err := srv.SeedResource("User", map[string]any{"userName": "kept", "active": true, "title": "Boss",
		"addresses": []any{map[string]any{"type": "work", "locality": "Leeds"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Update(t.Context(), id, targets.Account{UserName: "kept", Active: true,
		Attrs: targets.AttrsOf(map[string]string{"displayName": "Kept"})}); err != nil {
		t.Fatal(err)
	}
	u, _ := srv.User(id)
	if u["title"] != "Boss" || u["addresses"] == nil || u["displayName"] != "Kept" {
		t.Errorf("after a PUT: %v; want title and addresses kept", u)
	}
}
