package admin

import (
	"net/http"
	"strconv"
	"time"
)

// RoundTripper wraps next (http.DefaultTransport when nil) so that every
// request it sends is counted in idsync_target_requests_total and timed in
// idsync_target_request_duration_seconds under target. A request that got
// no response is counted with code "error". Each retry is a request of its
// own. On a nil *Metrics it returns next unchanged.
func (m *Metrics) RoundTripper(target string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return &instrumented{m: m, target: target, next: next}
}

type instrumented struct {
	m      *Metrics
	target string
	next   http.RoundTripper
}

var _ http.RoundTripper = (*instrumented)(nil)

// RoundTrip sends req through the wrapped transport and records it.
func (t *instrumented) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.m.requests.WithLabelValues(t.target, req.Method, code).Inc()
	t.m.requestDuration.WithLabelValues(t.target, req.Method, code).Observe(time.Since(start).Seconds())
	return resp, err
}
