package scim_test

import (
	"crypto/tls"
	"net/http"
	"slices"
	gosync "sync"
	"testing"

	"github.com/idsync/idsync/targets/scim/scimtest"
)

// roundTripRecorder is a RoundTripper that records the status of every response.
type roundTripRecorder struct {
	next  http.RoundTripper
	mu    gosync.Mutex
	codes []int
}

func (r *roundTripRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.codes = append(r.codes, resp.StatusCode)
		r.mu.Unlock()
	}
	return resp, err
}

// TestWrapTransport: the wrapper gets the transport New built (with its
// TLS settings) and sees every attempt, retries included.
func TestWrapTransport(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	c, _ := newClient(t, testConfig(t, url, token))
	rec := &roundTripRecorder{}
	c.WrapTransport(func(next http.RoundTripper) http.RoundTripper {
		tr, ok := next.(*http.Transport)
		if !ok || tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
			t.Errorf("the wrapper got %T without the client's TLS settings", next)
		}
		rec.next = next
		return rec
	})
	c.WrapTransport(nil) // no change
	srv.Storm429(2, 0)
	if _, err := c.Create(t.Context(), alice()); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if want := []int{429, 429, 201}; !slices.Equal(rec.codes, want) {
		t.Errorf("the wrapper saw %v, want %v", rec.codes, want)
	}
}
