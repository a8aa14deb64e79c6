package scim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

func alice() targets.Account {
	return targets.Account{UserName: "alice", ExternalID: "guid-alice", Active: true,
		Attrs: targets.AttrsOf(map[string]string{"displayName": "Alice", "emails.work": "alice@example.test", "department": "Eng"})}
}

func TestRetry429StormThenSuccess(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	c, _ := newClient(t, testConfig(t, url, token))
	srv.Storm429(3, 0)
	id, err := c.Create(t.Context(), alice())
	if err != nil {
		t.Fatalf("Create through a 429 storm: %v", err)
	}
	st := srv.Stats()
	if st.Requests[http.MethodPost] != 4 || st.Throttled != 3 {
		t.Errorf("POSTs = %d, throttled = %d; want 4 and 3", st.Requests[http.MethodPost], st.Throttled)
	}
	if users := srv.Users(); len(users) != 1 || users[0].ID != id {
		t.Errorf("server has %+v, want only %s", users, id)
	}
}

// TestRetryAfterLongerThanMaxWait proves Retry-After is read: a wait the
// client will not do fails the request instead of being ignored.
func TestRetryAfterLongerThanMaxWait(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	c, _ := newClient(t, testConfig(t, url, token)) // retry_max_wait 20ms
	srv.Storm429(1, 1)
	err := c.List(t.Context(), func(targets.Account) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "asked to wait 1s, more than retry_max_wait 20ms") {
		t.Fatalf("List = %v", err)
	}
	if errors.Is(err, targets.ErrRejected) {
		t.Errorf("a throttled request counts as rejected: %v", err)
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 1 {
		t.Errorf("GETs = %d, want 1", n)
	}
}

func TestRetry5xxThenSuccess(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	c, _ := newClient(t, testConfig(t, url, token))
	id, err := c.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext(2, http.StatusServiceUnavailable)
	n := 0
	if err := c.List(t.Context(), func(targets.Account) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("List after two 503s = %v (%d accounts)", err, n)
	}
	srv.FailNext(2, http.StatusInternalServerError)
	if err := c.Deactivate(t.Context(), id); err != nil {
		t.Fatalf("PATCH after two 500s: %v", err)
	}
	srv.FailNext(1, http.StatusBadGateway)
	if err := c.Delete(t.Context(), id); err != nil {
		t.Fatalf("DELETE after a 502: %v", err)
	}
	if st := srv.Stats(); st.Injected != 5 || st.Requests[http.MethodGet] != 4 || st.Requests[http.MethodPatch] != 3 {
		t.Errorf("stats = %+v; want 5 injected, 4 GETs (3 for the page, 1 for the empty page after it), 3 PATCHes", st)
	}
}

// TestPostServerError: after a 500 a POST may have taken effect, so it is
// not repeated; a 503 says it did not, so it is.
func TestPostServerError(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	c, _ := newClient(t, testConfig(t, url, token))
	srv.FailNext(1, http.StatusInternalServerError)
	_, err := c.Create(t.Context(), alice())
	if !errors.Is(err, scim.ErrUnknownOutcome) || errors.Is(err, targets.ErrRejected) {
		t.Fatalf("Create after a 500 = %v, want ErrUnknownOutcome", err)
	}
	if n := srv.Stats().Requests[http.MethodPost]; n != 1 {
		t.Errorf("POSTs = %d, want 1 (no blind re-POST)", n)
	}
	srv.FailNext(1, http.StatusServiceUnavailable)
	if _, err := c.Create(t.Context(), alice()); err != nil {
		t.Fatalf("Create after a 503: %v", err)
	}
	if n := srv.Stats().Requests[http.MethodPost]; n != 3 {
		t.Errorf("POSTs = %d, want 3", n)
	}
}

// TestPostTimeoutIsUnknownOutcome: a POST that timed out is reported, not
// repeated; the slow server still creates the user.
func TestPostTimeoutIsUnknownOutcome(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	cfg := testConfig(t, url, token)
	cfg.Timeout = duration.Of(50 * time.Millisecond)
	c, _ := newClient(t, cfg)
	srv.Latency(300 * time.Millisecond)
	_, err := c.Create(t.Context(), alice())
	if !errors.Is(err, scim.ErrUnknownOutcome) {
		t.Fatalf("Create with a timeout = %v, want ErrUnknownOutcome", err)
	}
	if n := srv.Stats().Requests[http.MethodPost]; n != 1 {
		t.Errorf("POSTs = %d, want 1", n)
	}
	for range 500 { // the server finishes the work after the client gave up
		if srv.UserCount() == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if srv.UserCount() != 1 {
		t.Errorf("the slow server did not create the user")
	}

	// A GET that times out is repeated, up to max_retries.
	cfg.MaxRetries = ptr(2)
	c, _ = newClient(t, cfg)
	srv.ResetStats()
	err = c.List(t.Context(), func(targets.Account) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "giving up after 2 retries") {
		t.Fatalf("List with timeouts = %v", err)
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 3 {
		t.Errorf("GETs = %d, want 3", n)
	}
}

func TestMaxRetriesExhausted(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	cfg := testConfig(t, url, token)
	cfg.MaxRetries = ptr(2)
	c, _ := newClient(t, cfg)
	srv.Storm429(100, 0)
	err := c.List(t.Context(), func(targets.Account) error { return nil })
	want := "scim: GET /Users: 429 Too Many Requests: too many requests: giving up after 2 retries"
	if err == nil || err.Error() != want {
		t.Fatalf("List = %v\nwant %s", err, want)
	}
	if errors.Is(err, targets.ErrRejected) || errors.Is(err, targets.ErrNotFound) {
		t.Errorf("exhausted retries classified as a per-object error: %v", err)
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 3 {
		t.Errorf("GETs = %d, want 3", n)
	}

	cfg.MaxRetries = ptr(0)
	c, _ = newClient(t, cfg)
	srv.ResetStats()
	if err := c.List(t.Context(), func(targets.Account) error { return nil }); err == nil {
		t.Fatal("List with max_retries = 0 in a storm succeeded")
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 1 {
		t.Errorf("GETs with max_retries = 0: %d, want 1", n)
	}
}

func TestContextCancelsRetryWait(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	cfg := testConfig(t, url, token)
	cfg.RetryMaxWait = duration.Of(time.Hour)
	c, _ := newClient(t, cfg)
	srv.Storm429(100, 3600)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := c.List(ctx, func(targets.Account) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("List = %v, want context.DeadlineExceeded", err)
	}
	if n := srv.Stats().Requests[http.MethodGet]; n != 1 {
		t.Errorf("GETs = %d, want 1", n)
	}
}

// TestRateLimit counts requests against what the token bucket allows for
// the time that actually passed; no wall-clock expectations.
func TestRateLimit(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	cfg := testConfig(t, url, token)
	cfg.RateLimit, cfg.Burst = ptr(40.0), 2
	c, _ := newClient(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	for ctx.Err() == nil {
		_ = c.List(ctx, func(targets.Account) error { return nil })
	}
	elapsed := time.Since(start)
	n := srv.Stats().Requests[http.MethodGet]
	allowed := 2 + int(40*elapsed.Seconds()) + 1
	if n < 2 || n > allowed {
		t.Errorf("%d requests in %v with rate 40/s, burst 2: want between 2 and %d", n, elapsed, allowed)
	}
}
