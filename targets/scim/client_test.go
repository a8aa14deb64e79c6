package scim_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus/hooks/test"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// assertNoSecret fails when s appears in err or in any logged entry.
func assertNoSecret(t *testing.T, s string, err error, hook *test.Hook) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), s) {
		t.Errorf("the error shows the token: %v", err)
	}
	for _, e := range hook.AllEntries() {
		line, ferr := e.String()
		if ferr != nil {
			t.Fatal(ferr)
		}
		if strings.Contains(line, s) || strings.Contains(fmt.Sprintf("%+v", e.Data), s) {
			t.Errorf("a log entry shows the token: %s", line)
		}
	}
}

func TestUnauthorized(t *testing.T) {
	url, _, srv := scimtest.Start(t, scimtest.Options{})
	const wrong = "wrong-token-3f9a7c"
	c, hook := newClient(t, testConfig(t, url, wrong))
	err := c.List(t.Context(), func(targets.Account) error { return nil })
	if !errors.Is(err, scim.ErrUnauthorized) || errors.Is(err, targets.ErrRejected) {
		t.Fatalf("List with a wrong token = %v, want ErrUnauthorized and not ErrRejected", err)
	}
	if want := "scim: GET /Users: 401 Unauthorized: invalid bearer token: the target refused the bearer token"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 1 {
		t.Errorf("GETs = %d, want 1: a refused token is not retried", n)
	}
	if len(hook.AllEntries()) == 0 {
		t.Error("no debug log of the request")
	}
	assertNoSecret(t, wrong, err, hook)
}

// TestTokenEchoedByServerIsRedacted: a server that puts the Authorization
// header in its error detail does not get the token into our errors.
func TestTokenEchoedByServerIsRedacted(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusForbidden
		if r.Method == http.MethodPost {
			status = http.StatusBadRequest
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":"%d","detail":"not allowed: %s"}`, status, r.Header.Get("Authorization"))
	}))
	t.Cleanup(echo.Close)
	const token = "echo-me-0b5e2d"
	c, hook := newClient(t, testConfig(t, echo.URL, token))
	err := c.Delete(t.Context(), "u1")
	if !errors.Is(err, scim.ErrUnauthorized) || !strings.Contains(err.Error(), "Bearer [redacted]") {
		t.Errorf("Delete = %v", err)
	}
	assertNoSecret(t, token, err, hook)
	_, err = c.Create(t.Context(), alice())
	if !errors.Is(err, targets.ErrRejected) {
		t.Errorf("Create = %v, want ErrRejected", err)
	}
	assertNoSecret(t, token, err, hook)
}

func TestRejectedError(t *testing.T) {
	url, token, _ := scimtest.Start(t, scimtest.Options{})
	c, _ := newClient(t, testConfig(t, url, token))
	_, err := c.Create(t.Context(), targets.Account{Active: true})
	want := "scim: POST /Users: 400 Bad Request: userName is required: rejected by target"
	if !errors.Is(err, targets.ErrRejected) || err.Error() != want {
		t.Fatalf("Create without userName = %v\nwant %s", err, want)
	}
	var se *scim.StatusError
	if !errors.As(err, &se) || se.Status != 400 || se.ScimType != "invalidValue" {
		t.Errorf("StatusError = %+v", se)
	}
	if _, err := c.Create(t.Context(), alice()); err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(t.Context(), targets.Account{UserName: "ALICE", Active: true})
	if want := `scim: POST /Users: 409 Conflict: userName "ALICE" already exists: already exists`; !errors.Is(err, targets.ErrConflict) || err.Error() != want {
		t.Errorf("duplicate Create = %v\nwant %s", err, want)
	}
	if err := c.Update(t.Context(), "no-such-id", alice()); !errors.Is(err, targets.ErrNotFound) {
		t.Errorf("Update of a missing id = %v, want ErrNotFound", err)
	}
	if err := c.Update(t.Context(), "x", targets.Account{UserName: "x", Attrs: targets.AttrsOf(map[string]string{"manager.value": "m"})}); err == nil ||
		errors.Is(err, targets.ErrRejected) {
		t.Errorf("Update with an unknown attribute path = %v, want a plain error", err)
	}
}

// TestRepeatedPagesDoNotDuplicate: a server that answers a page past the
// end with the first page (SCIMMY) ends the list, without duplicates.
func TestRepeatedPagesDoNotDuplicate(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{RepeatPastEnd: true})
	for i := range 200 {
		if _, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("u%03d", i), Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := newClient(t, testConfig(t, url, token))
	calls := map[string]int{}
	if err := c.List(t.Context(), func(a targets.Account) error { calls[a.ID]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("fn called %d times for %s", n, id)
		}
	}
	if len(calls) != 200 {
		t.Errorf("listed %d users, want 200", len(calls))
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 3 {
		t.Errorf("GETs = %d, want 3 (two full pages and the repeated one)", n)
	}
}

func TestMemberChangesChunkedToVendorLimit(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{MaxMembersPerPatch: 100})
	var users []string
	for i := range 250 {
		id, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("m%03d", i), Active: true})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, id)
	}
	gid, err := srv.SeedGroup("staff")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newClient(t, testConfig(t, url, token)) // max_members_per_patch 100 by default
	if err := c.ModifyMembers(t.Context(), gid, users, nil); err != nil {
		t.Fatalf("add 250 members: %v", err)
	}
	if n := srv.Stats().Requests[http.MethodPatch]; n != 3 {
		t.Errorf("PATCHes = %d, want 3", n)
	}
	if err := c.ModifyMembers(t.Context(), gid, nil, users[:150]); err != nil {
		t.Fatalf("remove 150 members: %v", err)
	}
	if g := srv.Groups(); len(g) != 1 || len(g[0].Members) != 100 {
		t.Errorf("groups = %d, members = %d; want 1 group with 100", len(g), len(g[0].Members))
	}

	cfg := testConfig(t, url, token)
	cfg.MaxMembersPerPatch = 150 // more than the vendor takes
	big, _ := newClient(t, cfg)
	err = big.ModifyMembers(t.Context(), gid, users[:150], nil)
	if !errors.Is(err, targets.ErrRejected) || !strings.Contains(err.Error(), "too many member changes") {
		t.Errorf("PATCH over the vendor limit = %v, want ErrRejected", err)
	}
}

// TestRequestShape checks headers, and that no PATCH carries ?attributes=
// (SCIMMY would store the partial copy it returns).
func TestRequestShape(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{Token: "tok"})
	var mu sync.Mutex
	var problems []string
	rec := httptest.NewServer(scimtest.Mount(scimtest.BasePath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.Method == http.MethodPatch && r.URL.RawQuery != "" {
			problems = append(problems, "PATCH with query "+r.URL.RawQuery)
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/scim+json") {
			problems = append(problems, r.Method+" Accept: "+r.Header.Get("Accept"))
		}
		if r.ContentLength > 0 && r.Header.Get("Content-Type") != "application/scim+json" {
			problems = append(problems, r.Method+" Content-Type: "+r.Header.Get("Content-Type"))
		}
		mu.Unlock()
		srv.ServeHTTP(w, r)
	})))
	t.Cleanup(rec.Close)
	c, _ := newClient(t, testConfig(t, rec.URL+scimtest.BasePath, "tok"))
	ctx := t.Context()
	id, err := c.Create(ctx, alice())
	if err != nil {
		t.Fatal(err)
	}
	gid, err := c.CreateGroup(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		c.Update(ctx, id, alice()), c.Deactivate(ctx, id), c.ModifyMembers(ctx, gid, []string{id}, nil),
		c.List(ctx, func(targets.Account) error { return nil }), c.ListGroups(ctx, func(targets.Group) error { return nil }),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(problems) > 0 {
		t.Errorf("request problems:\n%s", strings.Join(problems, "\n"))
	}
}
