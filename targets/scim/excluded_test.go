package scim_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// loggedRequest is what requestLog keeps of a request; path is below the
// base URL ("/Users").
type loggedRequest struct {
	method, path string
	query        url.Values
}

// requestLog runs a scimtest server behind a handler that records every
// request, and returns its base URL, the server and the log.
func requestLog(t *testing.T) (string, *scimtest.Server, func() []loggedRequest) {
	t.Helper()
	srv := scimtest.NewServer(scimtest.Options{Token: "tok"})
	var mu sync.Mutex
	var log []loggedRequest
	rec := httptest.NewServer(scimtest.Mount(scimtest.BasePath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		log = append(log, loggedRequest{r.Method, r.URL.Path, r.URL.Query()})
		mu.Unlock()
		srv.ServeHTTP(w, r)
	})))
	t.Cleanup(rec.Close)
	return rec.URL + scimtest.BasePath, srv, func() []loggedRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]loggedRequest(nil), log...)
	}
}

// TestExcludedAttributesParameter: every page of the user list carries
// excluded_attributes as excludedAttributes (the default, a custom list,
// nothing for []); the GET of one user before a PUT, the group list and
// FindByUserName's filter never do.
func TestExcludedAttributesParameter(t *testing.T) {
	for _, tt := range []struct {
		name     string
		excluded *[]string
		want     string // "": no parameter
	}{
		{"default", nil, "meta,groups"},
		{"custom", &[]string{"meta", "x509Certificates", "urn:example:ext:1.0:User"}, "meta,x509Certificates,urn:example:ext:1.0:User"},
		{"none", &[]string{}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, srv, requests := requestLog(t)
			var ids []string
			for _, name := range []string{"a", "b", "c", "d", "e"} {
				id, err := srv.SeedUser(targets.Account{UserName: name, Active: true,
					Attrs: targets.AttrsOf(map[string]string{"displayName": strings.ToUpper(name), "department": "D"})})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			if _, err := srv.SeedGroup("staff", ids...); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(t, base, "tok")
			cfg.PageSize = 2
			cfg.UpdateMethod = scim.UpdatePut
			cfg.ExcludedAttributes = tt.excluded
			c, _ := newClient(t, cfg)
			exerciseReads(t, c, ids[0])

			pages, others := 0, map[string]bool{}
			for _, r := range requests() {
				got, sent := r.query["excludedAttributes"]
				userPage := r.method == http.MethodGet && r.path == "/Users" && r.query.Has("startIndex")
				switch {
				case userPage:
					pages++
					if (tt.want == "") == sent || (sent && (len(got) != 1 || got[0] != tt.want)) {
						t.Errorf("user list page %v: excludedAttributes %q, want %q", r.query, got, tt.want)
					}
				case sent:
					t.Errorf("%s %s?%s carries excludedAttributes", r.method, r.path, r.query.Encode())
				default:
					others[r.method+" "+strings.Replace(r.path, ids[0], "{id}", 1)] = true
				}
			}
			if pages != 4 {
				t.Errorf("%d user list pages, want 4 (5 users, pages of 2, and the empty page that ends the list)", pages)
			}
			for _, want := range []string{"GET /Users/{id}", "PUT /Users/{id}", "GET /Groups", "GET /Users"} {
				if !others[want] {
					t.Errorf("no %s request without excludedAttributes; saw %v", want, others)
				}
			}
		})
	}
}

// exerciseReads lists users (checking the attributes idsync reads come
// back), updates user id with PUT, lists groups and finds a user by name.
func exerciseReads(t *testing.T, c *scim.Client, id string) {
	t.Helper()
	ctx := t.Context()
	n := 0
	err := c.List(ctx, func(a targets.Account) error {
		n++
		if a.Attrs.Get("displayName") != strings.ToUpper(a.UserName) || a.Attrs.Get("department") != "D" {
			t.Errorf("listed %+v: attributes missing", a)
		}
		return nil
	})
	if err != nil || n != 5 {
		t.Fatalf("List: %d users, %v", n, err)
	}
	if err := c.Update(ctx, id, targets.Account{UserName: "a", Active: true}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := c.ListGroups(ctx, func(g targets.Group) error {
		if len(g.Members) != 5 {
			t.Errorf("group %s has %d members, want 5", g.DisplayName, len(g.Members))
		}
		return nil
	}); err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	if _, err := c.FindByUserName(ctx, "b"); err != nil {
		t.Fatalf("FindByUserName: %v", err)
	}
}
