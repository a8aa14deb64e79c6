package scimtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// api is a bare SCIM caller for testing the server on its own.
type api struct {
	t     *testing.T
	base  string
	token string
}

func start(t *testing.T, opts scimtest.Options) (*api, *scimtest.Server) {
	base, token, srv := scimtest.Start(t, opts)
	return &api{t: t, base: base, token: token}, srv
}

// call sends body (a JSON string or "") and returns the status and the
// decoded response.
func (a *api) call(method, path, body string) (int, map[string]any) {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(a.t.Context(), method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode, out
}

func (a *api) mustCall(method, path, body string, want int) map[string]any {
	a.t.Helper()
	status, out := a.call(method, path, body)
	if status != want {
		a.t.Fatalf("%s %s = %d %v, want %d", method, path, status, out, want)
	}
	return out
}

func (a *api) filter(endpoint, f string) []any {
	a.t.Helper()
	out := a.mustCall("GET", endpoint+"?filter="+url.QueryEscape(f), "", 200)
	list, _ := out["Resources"].([]any)
	return list
}

func patch(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
}

func TestAuth(t *testing.T) {
	a, srv := start(t, scimtest.Options{})
	a.token = "wrong"
	a.mustCall("GET", "/Users", "", 401)
	a.mustCall("GET", "/ServiceProviderConfig", "", 401)
	if st := srv.Stats(); st.Requests["GET"] != 2 || st.Total() != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func TestUsersCRUDAndFilters(t *testing.T) {
	a, _ := start(t, scimtest.Options{})
	u := a.mustCall("POST", "/Users", `{"userName":"Alice","externalId":"G-1","displayName":"Alice A",
	  "emails":[{"type":"work","value":"Alice@Example.test"}]}`, 201)
	id := u["id"].(string)
	a.mustCall("POST", "/Users", `{"userName":"aLICE"}`, 409)
	a.mustCall("POST", "/Users", `{"displayName":"no userName"}`, 400)
	a.mustCall("POST", "/Users", `{"userName":"bob","active":"yes"}`, 400)
	a.mustCall("POST", "/Users", `{"userName":"bob"}`, 201)

	for f, want := range map[string]int{
		`userName eq "ALICE"`:                  1, // case-insensitive, RFC 7643
		`externalId eq "G-1"`:                  1,
		`externalId eq "g-1"`:                  0, // caseExact
		`displayName eq "alice a"`:             1,
		`emails.value eq "alice@example.test"`: 1,
		`id eq "` + id + `"`:                   1,
		`userName eq "nobody"`:                 0,
	} {
		if got := len(a.filter("/Users", f)); got != want {
			t.Errorf("filter %s: %d results, want %d", f, got, want)
		}
	}
	a.mustCall("GET", "/Users?filter="+url.QueryEscape(`userName co "a"`), "", 400)

	a.mustCall("PUT", "/Users/"+id, `{"userName":"bob"}`, 409)
	got := a.mustCall("PUT", "/Users/"+id, `{"userName":"alice2","meta":{"x":1},"groups":[{"value":"g"}]}`, 200)
	if got["displayName"] != nil || got["groups"] != nil || got["userName"] != "alice2" {
		t.Errorf("PUT result: %v", got)
	}
	if len(a.filter("/Users", `userName eq "alice"`)) != 0 || len(a.filter("/Users", `externalId eq "G-1"`)) != 0 {
		t.Error("indexes keep the old userName or externalId after PUT")
	}
	a.mustCall("DELETE", "/Users/"+id, "", 204)
	a.mustCall("DELETE", "/Users/"+id, "", 404)
	a.mustCall("GET", "/Users/"+id, "", 404)
	a.mustCall("PUT", "/Users/"+id, `{"userName":"x"}`, 404)
	a.mustCall("POST", "/Users", `{"userName":"ALICE"}`, 201) // the name is free again
}

func TestPatchDialects(t *testing.T) {
	a, _ := start(t, scimtest.Options{})
	id := a.mustCall("POST", "/Users", `{"userName":"p","active":true,"emails":[{"type":"home","value":"h@x"}],
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D","costCenter":"C"}}`, 201)["id"].(string)
	got := a.mustCall("PATCH", "/Users/"+id, patch(`[
	  {"op":"Replace","path":"active","value":"False"},
	  {"op":"replace","path":"emails[type eq \"work\"].value","value":"w@x"},
	  {"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1"},
	  {"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
	  {"op":"replace","value":{"name.givenName":"G","displayName":"P"}},
	  {"op":"add","path":"name.familyName","value":"F"},
	  {"op":"remove","path":"emails[type eq \"home\"]"},
	  {"op":"remove","path":"title"}]`), 200)
	b, _ := json.Marshal(got)
	for _, want := range []string{`"active":false`, `"emails":[{"type":"work","value":"w@x"}]`, `"phoneNumbers":[{"type":"mobile","value":"+1"}]`,
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"C"}`, `"name":{"familyName":"F","givenName":"G"}`, `"displayName":"P"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("after PATCH, missing %s in %s", want, b)
		}
	}
	a.mustCall("PATCH", "/Users/"+id, patch(`[{"op":"replace","path":"emails[value eq \"none\"].value","value":"x"}]`), 400)
	a.mustCall("PATCH", "/Users/"+id, patch(`[{"op":"delete","path":"title"}]`), 400)
	a.mustCall("PATCH", "/Users/"+id, patch(`[{"op":"remove"}]`), 400)
	a.mustCall("PATCH", "/Users/"+id, patch(`[{"op":"replace","path":"userName","value":""}]`), 400)
	a.mustCall("PATCH", "/Users/"+id, `{"schemas":["urn:x"],"Operations":[{"op":"remove","path":"title"}]}`, 400)
	a.mustCall("PATCH", "/Users/nope", patch(`[{"op":"remove","path":"title"}]`), 404)
}

func TestGroupMembers(t *testing.T) {
	a, srv := start(t, scimtest.Options{MaxMembersPerPatch: 3})
	var users []string
	for i := range 4 {
		users = append(users, a.mustCall("POST", "/Users", fmt.Sprintf(`{"userName":"u%d"}`, i), 201)["id"].(string))
	}
	gid := a.mustCall("POST", "/Groups", `{"displayName":"Admins"}`, 201)["id"].(string)
	a.mustCall("POST", "/Groups", `{"displayName":"ADMINS"}`, 409)
	members := func(ids ...string) string {
		var parts []string
		for _, id := range ids {
			parts = append(parts, `{"value":"`+id+`"}`)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	a.mustCall("PATCH", "/Groups/"+gid, patch(`[{"op":"add","path":"members","value":`+members(users...)+`}]`), 400) // 4 > 3
	a.mustCall("PATCH", "/Groups/"+gid, patch(`[{"op":"add","path":"members","value":`+members(users[:3]...)+`}]`), 200)
	a.mustCall("PATCH", "/Groups/"+gid, patch(`[{"op":"add","path":"members","value":`+members(users[2:]...)+`}]`), 200) // u2 again: no-op
	if g := srv.Groups()[0]; len(g.Members) != 4 {
		t.Fatalf("members = %v, want 4 (no duplicate)", g.Members)
	}
	a.mustCall("PATCH", "/Groups/"+gid, patch(`[{"op":"remove","path":"members[value eq \"`+users[0]+`\"]"},
	  {"op":"remove","path":"members","value":`+members(users[1])+`}]`), 200)
	if got := len(a.filter("/Groups", `members.value eq "`+users[2]+`"`)); got != 1 {
		t.Errorf("filter by member: %d groups", got)
	}
	a.mustCall("DELETE", "/Users/"+users[3], "", 204)
	if g := srv.Groups()[0]; len(g.Members) != 1 || g.Members[0] != users[2] {
		t.Errorf("members = %v, want only %s (a deleted user leaves its groups)", g.Members, users[2])
	}
	if len(a.filter("/Groups", `displayName eq "admins"`)) != 1 {
		t.Error("displayName filter is not case-insensitive")
	}
}

func TestPaging(t *testing.T) {
	for _, repeat := range []bool{false, true} {
		t.Run(fmt.Sprint("repeat=", repeat), func(t *testing.T) {
			a, srv := start(t, scimtest.Options{RepeatPastEnd: repeat, MaxPageSize: 4})
			for i := range 10 {
				if _, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("u%02d", i), Active: true}); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[any]bool{}
			for start := 1; start <= 10; start += 4 {
				out := a.mustCall("GET", fmt.Sprintf("/Users?startIndex=%d&count=100", start), "", 200)
				if out["totalResults"] != 10.0 {
					t.Errorf("totalResults = %v", out["totalResults"])
				}
				for _, r := range out["Resources"].([]any) {
					seen[r.(map[string]any)["id"]] = true
				}
			}
			if len(seen) != 10 {
				t.Errorf("saw %d users over the pages", len(seen))
			}
			past := a.mustCall("GET", "/Users?startIndex=11&count=4", "", 200)
			if n := len(past["Resources"].([]any)); (n == 4) != repeat || (n == 0) == repeat {
				t.Errorf("page past the end has %d resources", n)
			}
			if out := a.mustCall("GET", "/Users?count=0", "", 200); len(out["Resources"].([]any)) != 0 || out["totalResults"] != 10.0 {
				t.Errorf("count=0: %v", out)
			}
		})
	}
}

// TestPagingFaults: CapPages caps pages and lies about totalResults;
// IgnoreStartIndex answers every page from the start.
func TestPagingFaults(t *testing.T) {
	a, srv := start(t, scimtest.Options{})
	for i := range 10 {
		if _, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("u%02d", i), Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(out map[string]any) []any {
		var got []any
		for _, r := range out["Resources"].([]any) {
			got = append(got, r.(map[string]any)["userName"])
		}
		return got
	}
	srv.CapPages(3)
	out := a.mustCall("GET", "/Users?startIndex=4&count=100", "", 200)
	if got := ids(out); out["totalResults"] != 3.0 || fmt.Sprint(got) != "[u03 u04 u05]" {
		t.Errorf("capped page: totalResults %v, %v", out["totalResults"], got)
	}
	srv.CapPages(0)
	srv.IgnoreStartIndex(true)
	out = a.mustCall("GET", "/Users?startIndex=5&count=2", "", 200)
	if got := ids(out); out["totalResults"] != 10.0 || fmt.Sprint(got) != "[u00 u01]" {
		t.Errorf("startIndex ignored: totalResults %v, %v", out["totalResults"], got)
	}
	srv.ResetFaults() // a vendor behaviour: stays
	if got := ids(a.mustCall("GET", "/Users?startIndex=5&count=2", "", 200)); fmt.Sprint(got) != "[u00 u01]" {
		t.Errorf("after ResetFaults: %v", got)
	}
}

// TestRefuse: a refused request is answered with the status and a SCIM
// error naming it, and is not done.
func TestRefuse(t *testing.T) {
	a, srv := start(t, scimtest.Options{})
	srv.Refuse("POST", "/Groups", 400)
	out := a.mustCall("POST", "/Groups", `{"displayName":"g"}`, 400)
	if out["detail"] != "injected refusal of POST /Groups" || out["scimType"] != "invalidValue" {
		t.Errorf("refusal body: %v", out)
	}
	a.mustCall("POST", "/Users", `{"userName":"a"}`, 201)
	if len(srv.Groups()) != 0 {
		t.Errorf("a refused create made a group")
	}
	srv.Refuse("POST", "/Groups", 0)
	a.mustCall("POST", "/Groups", `{"displayName":"g"}`, 201)
	srv.Refuse("PATCH", "/Groups", 422)
	id := srv.Groups()[0].ID
	a.mustCall("PATCH", "/Groups/"+id, patch(`{"op":"add","path":"members","value":[{"value":"x"}]}`), 422)
	srv.ResetFaults()
	if st := srv.Stats(); st.Injected != 2 || st.Writes != 2 {
		t.Errorf("stats %+v, want 2 injected, 2 writes", st)
	}
}

func TestFaults(t *testing.T) {
	a, srv := start(t, scimtest.Options{})
	srv.FailAfterWrites(2, 503)
	a.mustCall("POST", "/Users", `{"userName":"a"}`, 201)
	a.mustCall("POST", "/Users", `{"userName":"b"}`, 201)
	a.mustCall("POST", "/Users", `{"userName":"c"}`, 503)
	a.mustCall("GET", "/Users", "", 200) // reads still work
	a.mustCall("POST", "/Users", `{"userName":"c"}`, 503)
	srv.ResetFaults()
	a.mustCall("POST", "/Users", `{"userName":"c"}`, 201)

	srv.RateLimit429(3, 7)
	codes := ""
	for range 6 {
		status, _ := a.call("GET", "/Users", "")
		codes += fmt.Sprint(status, " ")
	}
	if codes != "200 200 429 200 200 429 " {
		t.Errorf("every 3rd throttled: %s", codes)
	}
	srv.ResetFaults()
	srv.Storm429(2, 0)
	req, _ := http.NewRequest("GET", a.base+"/Users", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "0" {
		t.Errorf("storm: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	a.mustCall("GET", "/Users", "", 429)
	a.mustCall("GET", "/Users", "", 200)
	st := srv.Stats()
	if st.Writes != 3 || st.Throttled != 4 || st.Injected != 2 {
		t.Errorf("stats = %+v", st)
	}

	// A storm that waits for one more write, then throttles two requests.
	srv.Storm429AfterWrites(1, 2, 0)
	a.mustCall("GET", "/Users", "", 200)
	a.mustCall("POST", "/Users", `{"userName":"d"}`, 201)
	a.mustCall("GET", "/Users", "", 429)
	a.mustCall("POST", "/Users", `{"userName":"e"}`, 429)
	a.mustCall("GET", "/Users", "", 200)

	// A channel closed once the writes reach a count.
	reached, next := srv.WritesReached(srv.Stats().Writes), srv.WritesReached(srv.Stats().Writes+1)
	select {
	case <-reached:
	default:
		t.Error("WritesReached of the writes so far is not closed")
	}
	select {
	case <-next:
		t.Error("WritesReached of one more write is closed before it")
	default:
	}
	a.mustCall("POST", "/Users", `{"userName":"f"}`, 201)
	<-next
}

func TestDiscoveryEndpoints(t *testing.T) {
	a, _ := start(t, scimtest.Options{})
	if out := a.mustCall("GET", "/ServiceProviderConfig", "", 200); out["patch"].(map[string]any)["supported"] != true {
		t.Errorf("ServiceProviderConfig: %v", out)
	}
	for _, p := range []string{"/Schemas", "/ResourceTypes"} {
		if out := a.mustCall("GET", p, "", 200); out["totalResults"].(float64) < 2 {
			t.Errorf("%s: %v", p, out)
		}
	}
	a.mustCall("GET", "/Nope", "", 404)
}

// TestListBodyIsCanonical: a list page concatenated from stored resource
// JSON is byte for byte what encoding/json makes of it, with a matching
// Content-Length, and a write changes what later pages and GETs send.
func TestListBodyIsCanonical(t *testing.T) {
	a, srv := start(t, scimtest.Options{})
	for i := range 5 {
		if _, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("u<%d>&", i), Active: i%2 == 0,
			Attrs: targets.AttrsOf(map[string]string{"displayName": "D\"é\\", "emails.work": fmt.Sprintf("u%d@x", i), "department": "Dept"})}); err != nil {
			t.Fatal(err)
		}
	}
	get := a.getCanonical
	for _, p := range []string{"/Users", "/Users?startIndex=2&count=2", "/Users?startIndex=9", "/Users?count=0",
		"/Users?filter=" + url.QueryEscape(`userName eq "u<3>&"`), "/Groups"} {
		get(p)
	}
	id := a.filter("/Users", `userName eq "u<1>&"`)[0].(map[string]any)["id"].(string)
	a.mustCall("PATCH", "/Users/"+id, patch(`[{"op":"replace","path":"displayName","value":"Changed"}]`), 200)
	if one := get("/Users/" + id); !bytes.Contains(one, []byte(`"displayName":"Changed"`)) || !bytes.Contains(one, []byte(`W/\"2\"`)) {
		t.Errorf("GET after PATCH: %s", one)
	}
	if page := get("/Users"); !bytes.Contains(page, []byte(`"displayName":"Changed"`)) {
		t.Errorf("list after PATCH: %s", page)
	}
}

// getCanonical GETs path and checks that the body is byte for byte what
// encoding/json makes of it, with a matching Content-Length.
func (a *api) getCanonical(path string) []byte {
	t := a.t
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", a.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	if resp.ContentLength != int64(len(body)) {
		t.Errorf("GET %s: Content-Length %d, body %d bytes", path, resp.ContentLength, len(body))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	var want bytes.Buffer
	_ = json.NewEncoder(&want).Encode(v)
	if !bytes.Equal(body, want.Bytes()) {
		t.Errorf("GET %s:\n got  %s\n want %s", path, body, want.Bytes())
	}
	return body
}

// TestSeedUnencodable: a seeded resource that cannot be sent as JSON is
// refused up front instead of breaking every later page.
func TestSeedUnencodable(t *testing.T) {
	a, srv := start(t, scimtest.Options{})
	if _, err := srv.SeedResource("User", map[string]any{"userName": "x", "bad": math.Inf(1)}); err == nil {
		t.Fatal("SeedResource with an unencodable value succeeded")
	}
	if srv.UserCount() != 0 {
		t.Errorf("users = %d, want 0", srv.UserCount())
	}
	if out := a.mustCall("GET", "/Users", "", 200); out["totalResults"] != 0.0 {
		t.Errorf("list: %v", out)
	}
}

// TestListExcludedAttributes: excludedAttributes leaves top-level
// attributes and extensions out of list pages (case-insensitively, also
// when qualified with the core schema URN), never id or schemas; a
// sub-attribute path or an empty value changes nothing. Pages stay
// canonical JSON; a GET of one resource is not affected.
func TestListExcludedAttributes(t *testing.T) {
	a, srv := start(t, scimtest.Options{})
	for i := range 3 {
		if _, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("u%d", i), ExternalID: fmt.Sprint("e", i), Active: true,
			Attrs: targets.AttrsOf(map[string]string{"name.givenName": "G", "emails.work": "w@x", "department": "D"})}); err != nil {
			t.Fatal(err)
		}
	}
	gid, err := srv.SeedGroup("staff")
	if err != nil {
		t.Fatal(err)
	}
	uid, err := srv.SeedResource("User", map[string]any{"userName": "odd", "Groups": []any{map[string]any{"value": gid}},
		"a<b&c": "escaped key", "zzz": 1})
	if err != nil {
		t.Fatal(err)
	}
	resources := func(path string) []map[string]any {
		t.Helper()
		var page struct{ Resources []map[string]any }
		if err := json.Unmarshal(a.getCanonical(path), &page); err != nil {
			t.Fatal(err)
		}
		return page.Resources
	}
	full := resources("/Users")
	if len(full) != 4 || full[0]["meta"] == nil || full[3]["Groups"] == nil {
		t.Fatalf("full list: %v", full)
	}
	plain := a.getCanonical("/Users")
	if got := a.getCanonical("/Users?excludedAttributes="); !bytes.Equal(got, plain) {
		t.Errorf("an empty excludedAttributes changed the page:\n%s\n%s", got, plain)
	}
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	for _, tt := range []struct {
		param string
		gone  []string // top-level attributes left out
	}{
		{"meta,groups", []string{"meta", "Groups"}},
		{" META , Groups ", []string{"meta", "Groups"}},
		{"urn:ietf:params:scim:schemas:core:2.0:User:meta", []string{"meta"}},
		{ent + ",emails", []string{ent, "emails"}},
		{"id,schemas,userName", []string{"userName"}},
		{"a<b&c,zzz,name", []string{"a<b&c", "zzz", "name"}},
		{"name.givenName," + ent + ":department,nosuch", nil},
		{"id,schemas,userName,externalId,active,name,emails,meta,groups,a<b&c,zzz," + ent, []string{
			"userName", "externalId", "active", "name", "emails", "meta", "Groups", "a<b&c", "zzz", ent}},
	} {
		got := resources("/Users?excludedAttributes=" + url.QueryEscape(tt.param))
		if len(got) != len(full) {
			t.Fatalf("excludedAttributes=%s: %d resources, want %d", tt.param, len(got), len(full))
		}
		for i, r := range got {
			want := maps.Clone(full[i])
			for _, k := range tt.gone {
				delete(want, k)
			}
			if !reflect.DeepEqual(r, want) {
				t.Errorf("excludedAttributes=%s: resource %d is\n %v\nwant\n %v", tt.param, i, r, want)
			}
		}
	}

	// With a filter and paging; groups; a single GET keeps everything.
	if got := resources("/Users?count=1&startIndex=2&excludedAttributes=meta&filter=" + url.QueryEscape(`userName eq "odd"`)); len(got) != 0 {
		t.Errorf("page 2 of a one-result filter: %v", got)
	}
	if got := resources("/Users?excludedAttributes=meta&filter=" + url.QueryEscape(`userName eq "odd"`)); len(got) != 1 ||
		got[0]["meta"] != nil || got[0]["Groups"] == nil {
		t.Errorf("filtered: %v", got)
	}
	if got := resources("/Groups?excludedAttributes=members,meta"); len(got) != 1 || len(got[0]) != 3 || got[0]["displayName"] != "staff" {
		t.Errorf("groups: %v", got)
	}
	var one map[string]any
	if err := json.Unmarshal(a.getCanonical("/Users/"+uid+"?excludedAttributes=meta"), &one); err != nil || one["meta"] == nil {
		t.Errorf("GET of one user: %v, %v", one, err)
	}
}
