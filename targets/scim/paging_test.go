package scim_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// seedN stores n plain users and returns their ids in list order.
func seedN(t *testing.T, srv *scimtest.Server, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		id, err := srv.SeedUser(targets.Account{UserName: fmt.Sprintf("p%05d", i), Active: true})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// startWatched serves srv and calls seen with the startIndex of every
// list request as it arrives.
func startWatched(t *testing.T, srv *scimtest.Server, seen func(startIndex string)) string {
	t.Helper()
	ts := httptest.NewServer(scimtest.Mount(scimtest.BasePath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			seen(r.URL.Query().Get("startIndex"))
		}
		srv.ServeHTTP(w, r)
	})))
	t.Cleanup(ts.Close)
	return ts.URL + scimtest.BasePath
}

// TestListPrefetchesNextPage: the next page is requested while fn still
// works on the current one.
func TestListPrefetchesNextPage(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{Token: "tok"})
	seedN(t, srv, 250)
	page2 := make(chan struct{})
	var once sync.Once
	url := startWatched(t, srv, func(start string) {
		if start == "101" {
			once.Do(func() { close(page2) })
		}
	})
	c, _ := newClient(t, testConfig(t, url, "tok"))
	calls := 0
	err := c.List(t.Context(), func(targets.Account) error {
		if calls++; calls == 1 {
			select {
			case <-page2:
			case <-time.After(10 * time.Second):
				return errors.New("page 2 was not requested while fn held page 1")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 250 {
		t.Errorf("fn calls = %d, want 250", calls)
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 4 {
		t.Errorf("GETs = %d, want 4 (three pages and the empty one): the pipeline asks for the same pages", n)
	}
}

// TestListOrderAndOneGoroutine: fn sees every user once, in the server's
// order, never concurrently.
func TestListOrderAndOneGoroutine(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{MaxPageSize: 30}) // the server caps count: short pages
	ids := seedN(t, srv, 1000)
	cfg := testConfig(t, url, token)
	cfg.PageSize = 70
	c, _ := newClient(t, cfg)
	var inside atomic.Int32
	var got []string
	err := c.List(t.Context(), func(a targets.Account) error {
		if inside.Add(1) != 1 {
			return errors.New("fn called concurrently")
		}
		defer inside.Add(-1)
		time.Sleep(time.Duration(len(got)%7) * time.Microsecond)
		got = append(got, a.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("listed %d, want %d", len(got), len(ids))
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("account %d is %s, want %s", i, got[i], ids[i])
		}
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 35 { // 33 pages of 30, one of 10, an empty one
		t.Errorf("GETs = %d, want 35", n)
	}
}

// TestListFnErrorStopsPrefetch: the error fn returns ends List, fn is not
// called again, and no request is left running or sent afterwards.
func TestListFnErrorStopsPrefetch(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{Token: "tok"})
	seedN(t, srv, 1000)
	ts := httptest.NewServer(scimtest.Mount(scimtest.BasePath, srv))
	t.Cleanup(ts.Close)
	c, _ := newClient(t, testConfig(t, ts.URL+scimtest.BasePath, "tok"))
	stop := errors.New("stop")
	calls := 0
	err := c.List(t.Context(), func(targets.Account) error {
		if calls++; calls == 150 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 150 {
		t.Fatalf("List = %v after %d calls, want stop after 150", err, calls)
	}
	// The request for the page after the one fn stopped in may already
	// be on the wire when List returns; Close waits until the server has
	// handled whatever reached it. Nothing after it may follow.
	ts.Close()
	if n := srv.Stats().Requests[http.MethodGet]; n < 2 || n > 3 {
		t.Errorf("GETs = %d, want 2 or 3 (the page fn stopped in, maybe the one after)", n)
	}
}

// TestListPrefetchFailure: a page that cannot be fetched fails List after
// fn has seen the pages before it, once each.
func TestListPrefetchFailure(t *testing.T) {
	srv := scimtest.NewServer(scimtest.Options{Token: "tok"})
	seedN(t, srv, 300)
	url := startWatched(t, srv, func(start string) {
		if start == "201" {
			srv.FailNext(100, http.StatusInternalServerError)
		}
	})
	cfg := testConfig(t, url, "tok")
	cfg.MaxRetries = ptr(1)
	c, _ := newClient(t, cfg)
	seen := map[string]int{}
	err := c.List(t.Context(), func(a targets.Account) error { seen[a.ID]++; return nil })
	if err == nil {
		t.Fatal("List succeeded although page 3 failed")
	}
	if len(seen) != 200 {
		t.Errorf("fn saw %d users before the failure, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("fn called %d times for %s", n, id)
		}
	}
}
