package retry

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ParseRetryAfter reads a Retry-After header value (RFC 9110 §10.2.3):
// a number of seconds or an HTTP date, relative to now. A date in the past
// means no wait. It reports false for an empty or malformed value.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 1<<31)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(0, t.Sub(now)), true
}

// RetryableStatus reports whether an HTTP status is worth another attempt:
// 429 and 503 always (the request was not processed), other 5xx only for
// an idempotent request (a POST may have taken effect), 501 and 505 never.
func RetryableStatus(status int, idempotent bool) bool {
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		return true
	case status == http.StatusNotImplemented || status == http.StatusHTTPVersionNotSupported:
		return false
	case status >= 500 && status < 600:
		return idempotent
	}
	return false
}

// NotSent reports whether a transport error shows that the request never
// reached the server (connection refused, name not resolved), so that even
// a request that is not idempotent may be sent again.
func NotSent(err error) bool {
	var dnsErr *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr)
}
