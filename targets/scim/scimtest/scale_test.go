package scimtest_test

import (
	"fmt"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestHundredThousandUsers checks the indexes at 100k users: the last
// page, a filter and a delete in the middle, without walking every page.
func TestHundredThousandUsers(t *testing.T) {
	const n = 100_000
	a, srv := start(t, scimtest.Options{})
	ids := make([]string, n)
	for i := range n {
		id, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("user%06d", i), ExternalID: fmt.Sprint("g", i), Active: true})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	last := a.mustCall("GET", fmt.Sprintf("/Users?startIndex=%d&count=100", n-49), "", 200)
	if len(last["Resources"].([]any)) != 50 || last["totalResults"] != float64(n) {
		t.Fatalf("last page: %d resources, totalResults %v", len(last["Resources"].([]any)), last["totalResults"])
	}
	if got := a.filter("/Users", `userName eq "USER054321"`); len(got) != 1 || got[0].(map[string]any)["id"] != ids[54321] {
		t.Errorf("filter by userName: %v", got)
	}
	a.mustCall("DELETE", "/Users/"+ids[500], "", 204)
	if srv.UserCount() != n-1 || len(a.filter("/Users", `externalId eq "g500"`)) != 0 {
		t.Error("delete did not update the indexes")
	}
	// The last user took the deleted one's place; every other one stays put.
	page := a.mustCall("GET", "/Users?startIndex=501&count=1", "", 200)["Resources"].([]any)
	if page[0].(map[string]any)["id"] != ids[n-1] {
		t.Errorf("position 501 holds %v, want the former last user", page[0])
	}
	if got := a.filter("/Users", "userName eq "+fmt.Sprintf("%q", "user099999")); len(got) != 1 {
		t.Errorf("moved user not found by filter: %v", got)
	}
}
