package scim_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// TestListManyUsers lists 20,000 users in pages of 500 from scimtest:
// every user exactly once, one request per page plus the empty one at the
// end. (scimtest's own tests cover 100k users; the benchmark below shows a
// page costs the same anywhere in them.)
func TestListManyUsers(t *testing.T) {
	const n, pageSize = 20_000, 500
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	for i := range n {
		a := targets.Account{UserName: fmt.Sprintf("user%06d", i), ExternalID: fmt.Sprint("g", i), Active: true,
			Attrs: targets.AttrsOf(map[string]string{"displayName": fmt.Sprint("User ", i), "emails.work": fmt.Sprintf("user%06d@example.test", i)})}
		if _, err := srv.SeedUser(a); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(t, url, token)
	cfg.PageSize = pageSize
	c, _ := newClient(t, cfg)
	seen := make(map[string]bool, n)
	err := c.List(t.Context(), func(a targets.Account) error {
		if seen[a.ID] {
			return fmt.Errorf("%s listed twice", a.ID)
		}
		seen[a.ID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Errorf("listed %d, want %d", len(seen), n)
	}
	if got := srv.Stats().Requests[http.MethodGet]; got != n/pageSize+1 {
		t.Errorf("GETs = %d, want %d", got, n/pageSize+1)
	}
}

// BenchmarkListPageAt100k shows a page costs the same wherever it is.
func BenchmarkListPageAt100k(b *testing.B) {
	url, token, srv := scimtest.Start(b, scimtest.Options{})
	for i := range 100_000 {
		if _, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("user%06d", i), Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	for _, start := range []int{1, 99_901} {
		b.Run(fmt.Sprint("startIndex=", start), func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/Users?startIndex=%d&count=100", url, start), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			for b.Loop() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}
