package scimtest_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestProfileNarrowFilters: each mode refuses the filters its application
// refuses, with 400 invalidFilter, and answers the ones it allows.
func TestProfileNarrowFilters(t *testing.T) {
	for _, tc := range []struct {
		profile, endpoint, filter string
		ok                        bool
	}{
		{scimtest.ProfileGitHubEMU, "/Users", `userName eq "a"`, true},
		{scimtest.ProfileGitHubEMU, "/Users", `emails.value eq "a@x"`, false},
		{scimtest.ProfileAtlassian, "/Users", `externalId eq "a"`, true},
		{scimtest.ProfileAtlassian, "/Users", `displayName eq "A"`, false},
		{scimtest.ProfileZoom, "/Users", `externalId eq "a"`, false},
		{scimtest.ProfileAWS, "/Groups", `displayName eq "g"`, true},
		{scimtest.ProfileAWS, "/Groups", `members.value eq "x"`, false},
		{scimtest.ProfileAWS, "/Groups", `id eq "x" and members eq "y"`, true},
		{scimtest.ProfileSlack, "/Users", `emails.value eq "a@x"`, true},
		{scimtest.ProfileGeneric, "/Users", `displayName eq "A"`, true},
	} {
		a, _ := start(t, scimtest.Options{Profile: tc.profile})
		status, out := a.call("GET", tc.endpoint+"?filter="+url.QueryEscape(tc.filter), "")
		if (status == 200) != tc.ok || (!tc.ok && (status != 400 || out["scimType"] != "invalidFilter")) {
			t.Errorf("%s: %s %s = %d %v, want ok %v", tc.profile, tc.endpoint, tc.filter, status, out, tc.ok)
		}
	}
}

// TestProfileUserNameRewriting: Slack and GitHub store a userName
// rewritten, on create and on update.
func TestProfileUserNameRewriting(t *testing.T) {
	for profile, want := range map[string][2]string{
		scimtest.ProfileSlack:     {"jane_doe_example.com", "a_very_long_name_that"},
		scimtest.ProfileGitHubEMU: {"jane-doe", "a-very-long-name-that-goes-on"},
		scimtest.ProfileAtlassian: {"Jane Doe@example.com", "A very long name that goes on"},
	} {
		a, _ := start(t, scimtest.Options{Profile: profile})
		body := `{"userName":"Jane Doe@example.com","externalId":"e","active":true,"name":{"givenName":"J","familyName":"D"},
			"emails":[{"type":"work","value":"j@example.com","primary":true}]}`
		out := a.mustCall("POST", "/Users", body, 201)
		if out["userName"] != want[0] {
			t.Errorf("%s: created userName %v, want %q", profile, out["userName"], want[0])
		}
		id, _ := out["id"].(string)
		out = a.mustCall("PATCH", "/Users/"+id, patch(`[{"op":"replace","path":"userName","value":"A very long name that goes on"}]`), 200)
		if out["userName"] != want[1] {
			t.Errorf("%s: patched userName %v, want %q", profile, out["userName"], want[1])
		}
	}
}

// TestProfileDeletes: Slack's delete deactivates; GitHub's cannot be
// undone (Destroyed records it); Zoom keeps its own externalId.
func TestProfileDeletes(t *testing.T) {
	a, _ := start(t, scimtest.Options{Profile: scimtest.ProfileSlack})
	id := a.mustCall("POST", "/Users", `{"userName":"s","active":true}`, 201)["id"].(string)
	a.mustCall("DELETE", "/Users/"+id, "", 204)
	if out := a.mustCall("GET", "/Users/"+id, "", 200); out["active"] != false {
		t.Errorf("slack: deleted user %v, want it there, inactive", out)
	}

	g, srv := start(t, scimtest.Options{Profile: scimtest.ProfileGitHubEMU})
	id = g.mustCall("POST", "/Users", `{"userName":"g","externalId":"e","active":true,"name":{"givenName":"G","familyName":"H"},
		"emails":[{"type":"work","value":"g@example.com","primary":true}]}`, 201)["id"].(string)
	g.mustCall("DELETE", "/Users/"+id, "", 204)
	if d := srv.Destroyed(); !slices.Equal(d, []string{"g"}) {
		t.Errorf("github-emu: Destroyed = %v, want [g]", d)
	}
	g.mustCall("POST", "/Users", `{"userName":"bare","active":true}`, 400)

	z, _ := start(t, scimtest.Options{Profile: scimtest.ProfileZoom})
	out := z.mustCall("POST", "/Users", `{"userName":"z","externalId":"mine","active":true}`, 201)
	ext, _ := out["externalId"].(string)
	if !strings.HasPrefix(ext, "zoom-") {
		t.Errorf("zoom: externalId %q, want the server's own", ext)
	}
	out = z.mustCall("PUT", "/Users/"+out["id"].(string), `{"userName":"z","externalId":"mine2","active":true}`, 200)
	if out["externalId"] != ext {
		t.Errorf("zoom: externalId after PUT %v, want %q kept", out["externalId"], ext)
	}
}

// TestProfileAWSPaging: AWS pages by cursor (no totalResults), at most 100
// a page, ignores startIndex, and lists groups without members.
func TestProfileAWSPaging(t *testing.T) {
	a, srv := start(t, scimtest.Options{Profile: scimtest.ProfileAWS})
	var ids []string
	for i := range 150 {
		id, err := srv.SeedResource("User", map[string]any{"userName": "u" + strings.Repeat("x", i), "active": true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := srv.SeedGroup("g", ids[:3]...); err != nil {
		t.Fatal(err)
	}
	first := a.mustCall("GET", "/Users?cursor=&count=500", "", 200)
	next, _ := first["nextCursor"].(string)
	if n := len(first["Resources"].([]any)); n != 100 || next == "" || first["totalResults"] != nil {
		t.Fatalf("first cursor page: %d resources, nextCursor %q, totalResults %v", n, next, first["totalResults"])
	}
	second := a.mustCall("GET", "/Users?count=100&cursor="+url.QueryEscape(next), "", 200)
	if n := len(second["Resources"].([]any)); n != 50 || second["nextCursor"] != nil {
		t.Errorf("second cursor page: %d resources, nextCursor %v; want 50 and none", n, second["nextCursor"])
	}
	again := a.mustCall("GET", "/Users?startIndex=101&count=100", "", 200)
	if r := again["Resources"].([]any); r[0].(map[string]any)["id"] != first["Resources"].([]any)[0].(map[string]any)["id"] {
		t.Error("startIndex was honoured; AWS ignores it")
	}
	for _, r := range a.filter("/Groups", `displayName eq "g"`) {
		if m, ok := r.(map[string]any)["members"]; ok {
			t.Errorf("a group read lists members %v", m)
		}
	}
	if got := a.filter("/Groups", `members eq "`+ids[0]+`" and id eq "`+srv.Groups()[0].ID+`"`); len(got) != 1 {
		t.Errorf("membership filter of a member: %d groups, want 1", len(got))
	}
	if got := a.filter("/Groups", `id eq "`+srv.Groups()[0].ID+`" and members eq "`+ids[5]+`"`); len(got) != 0 {
		t.Errorf("membership filter of a non-member: %d groups, want 0", len(got))
	}
}

// TestProfileGroupSizeLimit: Slack refuses a group create or update that
// leaves the group with more members than its limit (15,000; 3 here).
func TestProfileGroupSizeLimit(t *testing.T) {
	a, _ := start(t, scimtest.Options{Profile: scimtest.ProfileSlack, MaxGroupMembers: 3})
	var ids []string
	for _, n := range []string{"a", "b", "c", "d"} {
		ids = append(ids, a.mustCall("POST", "/Users", `{"userName":"`+n+`","active":true}`, 201)["id"].(string))
	}
	members := func(ids ...string) string {
		var v []string
		for _, id := range ids {
			v = append(v, `{"value":"`+id+`"}`)
		}
		return "[" + strings.Join(v, ",") + "]"
	}
	a.mustCall("POST", "/Groups", `{"displayName":"big","members":`+members(ids...)+`}`, 400)
	g := a.mustCall("POST", "/Groups", `{"displayName":"g","members":`+members(ids[:2]...)+`}`, 201)["id"].(string)
	a.mustCall("PATCH", "/Groups/"+g, patch(`[{"op":"add","path":"members","value":`+members(ids[2])+`}]`), 200)
	out := a.mustCall("PATCH", "/Groups/"+g, patch(`[{"op":"add","path":"members","value":`+members(ids[3])+`}]`), 400)
	if !strings.Contains(out["detail"].(string), "at most 3 members") {
		t.Errorf("refusal %v does not say the limit", out)
	}
	if got := a.mustCall("GET", "/Groups/"+g, "", 200)["members"].([]any); len(got) != 3 {
		t.Errorf("group has %d members after a refused add, want 3", len(got))
	}
}
