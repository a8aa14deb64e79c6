package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestWriteLog: successful writes are recorded in order with their path;
// reads and refused writes are not; /_writes needs the token and pages
// with after.
func TestWriteLog(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{Token: "tok"})
	ts := httptest.NewServer((&writeLog{token: "tok"}).handler(scimtest.Mount(scimtest.BasePath, srv)))
	defer ts.Close()
	do := func(method, path, body, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice"}`
	resp := do(http.MethodPost, "/scim/v2/Users", user, "tok")
	var created struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/scim/v2/Users", ""},
		{http.MethodPost, "/scim/v2/Users", user}, // 409: not a write
		{http.MethodDelete, "/scim/v2/Users/" + created.ID, ""},
	} {
		do(r.method, r.path, r.body, "tok").Body.Close()
	}
	writes := func(after, token string) (int, []write) {
		resp := do(http.MethodGet, WritesPath+"?after="+after, "", token)
		defer resp.Body.Close()
		var out []write
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, all := writes("0", "tok")
	if code != http.StatusOK || len(all) != 2 || all[0].Method != http.MethodPost || all[0].Path != "/scim/v2/Users" ||
		all[1].Method != http.MethodDelete || all[1].Path != "/scim/v2/Users/"+created.ID ||
		all[0].Seq != 1 || all[1].Seq != 2 || all[1].Time < all[0].Time {
		t.Errorf("writes: %d %+v", code, all)
	}
	if _, rest := writes("1", "tok"); len(rest) != 1 || rest[0].Seq != 2 {
		t.Errorf("writes after 1: %+v", rest)
	}
	if code, _ := writes("0", "other"); code != http.StatusUnauthorized {
		t.Errorf("writes with a wrong token: %d", code)
	}
	if code, _ := writes("x", "tok"); code != http.StatusBadRequest {
		t.Errorf("writes after x: %d", code)
	}
}
