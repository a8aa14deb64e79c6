package scim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// Listings against servers whose paging lies (defect 5 of issue 9).

// seedGroups stores n empty groups.
func seedGroups(t *testing.T, c *scim.Client, n int) {
	t.Helper()
	for i := range n {
		if _, err := c.CreateGroup(t.Context(), fmt.Sprintf("g%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
}

// listCounts lists users and groups, counting fn calls per id.
func listCounts(t *testing.T, c *scim.Client) (users, groups map[string]int, uerr, gerr error) {
	t.Helper()
	users, groups = map[string]int{}, map[string]int{}
	uerr = c.List(t.Context(), func(a targets.Account) error { users[a.ID]++; return nil })
	gerr = c.ListGroups(t.Context(), func(g targets.Group) error { groups[g.ID]++; return nil })
	return users, groups, uerr, gerr
}

// TestListCappedPagesWithLyingTotal: pages capped at 30 whatever count
// asks for, each claiming totalResults 30. Every user and group is listed
// once; before, the first page was taken for everything.
func TestListCappedPagesWithLyingTotal(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	seedN(t, srv, 250)
	c, _ := newClient(t, testConfig(t, url, token)) // pages of 100
	seedGroups(t, c, 75)
	srv.CapPages(30)
	users, groups, uerr, gerr := listCounts(t, c)
	if uerr != nil || gerr != nil {
		t.Fatalf("List = %v, ListGroups = %v", uerr, gerr)
	}
	if len(users) != 250 || len(groups) != 75 {
		t.Errorf("listed %d users and %d groups, want 250 and 75", len(users), len(groups))
	}
	for id, n := range users {
		if n != 1 {
			t.Errorf("user %s listed %d times", id, n)
		}
	}
}

// TestListIgnoredStartIndexIsAnError: a server that answers every page
// with its first page (AWS IAM Identity Center) makes List and ListGroups
// fail, naming the startIndex, instead of reporting a short list as
// complete.
func TestListIgnoredStartIndexIsAnError(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	seedN(t, srv, 250)
	c, _ := newClient(t, testConfig(t, url, token))
	seedGroups(t, c, 150)
	srv.IgnoreStartIndex(true)
	users, groups, uerr, gerr := listCounts(t, c)
	for what, err := range map[string]error{"List": uerr, "ListGroups": gerr} {
		if !errors.Is(err, scim.ErrIgnoresStartIndex) || !strings.Contains(err.Error(), "startIndex=101") ||
			!strings.Contains(err.Error(), "the server repeated resources: it ignores startIndex") {
			t.Errorf("%s = %v, want ErrIgnoresStartIndex at startIndex=101", what, err)
		}
		if errors.Is(err, targets.ErrRejected) || errors.Is(err, targets.ErrNotFound) {
			t.Errorf("%s: a broken listing is classified as a per-object error: %v", what, err)
		}
	}
	if len(users) != 100 || len(groups) != 100 {
		t.Errorf("fn saw %d users and %d groups before the error, want the first page of each (100)", len(users), len(groups))
	}
}

// TestListPastEndRepeatEndsList: SCIMMY's repeat of the first page past
// the end ends the list once it has totalResults resources, also for
// groups and with pages the server caps.
func TestListPastEndRepeatEndsList(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{RepeatPastEnd: true, MaxPageSize: 40})
	seedN(t, srv, 120)
	c, _ := newClient(t, testConfig(t, url, token))
	seedGroups(t, c, 80)
	users, groups, uerr, gerr := listCounts(t, c)
	if uerr != nil || gerr != nil || len(users) != 120 || len(groups) != 80 {
		t.Errorf("listed %d users (%v) and %d groups (%v), want 120 and 80", len(users), uerr, len(groups), gerr)
	}
}

// TestBrokenPagingIsAnError: a server that ignores startIndex and count
// and claims more results than it has: List fails after two requests
// instead of reporting three accounts as the whole target.
func TestBrokenPagingIsAnError(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		count, _ := strconv.Atoi(r.URL.Query().Get("count"))
		var res []any
		for i := range min(count, 3) {
			res = append(res, map[string]any{"id": fmt.Sprint(i), "userName": fmt.Sprint("u", i)})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"totalResults": 1000, "Resources": res})
	}))
	t.Cleanup(broken.Close)
	c, _ := newClient(t, testConfig(t, broken.URL, "t"))
	n := 0
	err := c.List(t.Context(), func(targets.Account) error { n++; return nil })
	want := "scim: GET /Users: page at startIndex=4: the server repeated resources: it ignores startIndex (3 listed, 1000 claimed)"
	if err == nil || err.Error() != want {
		t.Fatalf("List = %v\nwant %s", err, want)
	}
	if n != 3 || requests != 2 {
		t.Errorf("fn calls = %d, requests = %d; want 3 and 2", n, requests)
	}
}

// TestShortListWarns: a server that claims more than it lists (and ends
// with an empty page) gives the whole list and a warning.
func TestShortListWarns(t *testing.T) {
	short := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var res []any
		if r.URL.Query().Get("startIndex") == "1" {
			res = []any{map[string]any{"id": "a", "userName": "a"}}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"totalResults": 5, "Resources": res})
	}))
	t.Cleanup(short.Close)
	c, hook := newClient(t, testConfig(t, short.URL, "t"))
	n := 0
	if err := c.List(t.Context(), func(targets.Account) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("List = %v after %d accounts", err, n)
	}
	warned := false
	for _, e := range hook.AllEntries() {
		warned = warned || strings.Contains(e.Message, "reported more resources than it listed")
	}
	if !warned {
		t.Error("no warning about the short list")
	}
}
