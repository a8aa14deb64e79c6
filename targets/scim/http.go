package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/targets"
)

// maxBody bounds the response body the client reads (a list page of 1000
// large users fits comfortably).
const maxBody = 64 << 20

// request is one SCIM call.
type request struct {
	method string
	path   string // below the base URL, e.g. "/Users/abc"; no query
	query  url.Values
	body   any // JSON-encoded when non-nil
	// idempotent marks a request that may be sent again after it got no
	// answer (GET, PUT, DELETE and our PATCHes, whose operations converge).
	idempotent bool
}

// response is what came back. body lives in a reused buffer: call
// release once done with it, and keep nothing that points into it.
type response struct {
	status int
	header http.Header
	body   []byte
	buf    *[]byte
	kept   bodyBuffers // where buf goes back
}

// bodyBuffers keeps a few response buffers of a client for reuse: a list
// page of 1000 users is about 0.5 MB and would otherwise be a fresh,
// growing allocation per page. Not a sync.Pool, which empties at every
// garbage collection, so that a plan of 100 pages allocates a handful.
type bodyBuffers chan *[]byte

// keptBodies is how many buffers a client keeps (a list runs one request
// ahead of the page being read), and maxKeptBody the largest one kept.
const (
	keptBodies  = 4
	maxKeptBody = 4 << 20
)

func (k bodyBuffers) get() *[]byte {
	select {
	case b := <-k:
		return b
	default:
		return new([]byte)
	}
}

func (r *response) release() {
	if r.buf != nil && cap(*r.buf) <= maxKeptBody {
		*r.buf = (*r.buf)[:0]
		select {
		case r.kept <- r.buf:
		default:
		}
	}
	r.buf, r.body = nil, nil
}

// bodyDecoder is an out value that decodes a response body itself.
type bodyDecoder interface {
	decodeBody([]byte) error
}

func decodeBody(body []byte, out any) error {
	if d, ok := out.(bodyDecoder); ok {
		return d.decodeBody(body)
	}
	return json.Unmarshal(body, out)
}

// do sends req, waiting for the rate limiter before every attempt and
// retrying throttled, failed and (when idempotent) unanswered requests,
// and decodes a successful JSON response into out when out is not nil.
func (c *Client) do(ctx context.Context, req request, out any) error {
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return fmt.Errorf("scim: %s %s: encode request: %w", req.method, req.path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return fmt.Errorf("scim: %s %s: %w", req.method, req.path, ctxErr(ctx, err))
		}
		res, err := c.send(ctx, req, payload)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("scim: %s %s: %w", req.method, req.path, ctx.Err())
			}
			if !req.idempotent && !notSent(err) {
				return fmt.Errorf("scim: %s %s: %w: %w", req.method, req.path, ErrUnknownOutcome, err)
			}
			if attempt >= c.cfg.maxRetries {
				return fmt.Errorf("scim: %s %s: giving up after %d retries: %w", req.method, req.path, attempt, err)
			}
			wait = c.backoff(attempt)
			c.log.WithFields(logrus.Fields{"method": req.method, "path": req.path, "error": err, "wait": wait}).
				Warn("scim: request failed; retrying")
		case res.status >= 200 && res.status < 300:
			var err error
			if out != nil && len(bytes.TrimSpace(res.body)) > 0 {
				err = decodeBody(res.body, out)
			}
			res.release()
			if err != nil {
				if !req.idempotent { // it worked, but we cannot tell what it made
					return fmt.Errorf("scim: %s %s: %w: decode response: %w", req.method, req.path, ErrUnknownOutcome, err)
				}
				return fmt.Errorf("scim: %s %s: decode response: %w", req.method, req.path, err)
			}
			return nil
		default:
			serr := c.statusError(req, res)
			res.release()
			if !retryable(res.status, req.idempotent) {
				return serr
			}
			if attempt >= c.cfg.maxRetries {
				serr.Err = fmt.Errorf("giving up after %d retries", attempt)
				return serr
			}
			var ok bool
			if wait, ok = retryAfter(res.header.Get("Retry-After"), time.Now()); ok {
				if wait > c.cfg.RetryMaxWait {
					serr.Err = fmt.Errorf("the target asked to wait %s, more than retry_max_wait %s", wait, c.cfg.RetryMaxWait)
					return serr
				}
				wait += rand.N(c.cfg.RetryMinWait/4 + 1) // spread clients that were told the same
			} else {
				wait = c.backoff(attempt)
			}
			c.log.WithFields(logrus.Fields{"method": req.method, "path": req.path, "status": res.status, "wait": wait}).
				Info("scim: target busy; retrying")
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("scim: %s %s: %w", req.method, req.path, err)
		}
	}
}

// send makes one attempt, bounded by the configured timeout.
func (c *Client) send(ctx context.Context, req request, payload []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := c.cfg.URL + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	hr.Header.Set("Accept", mediaType+", application/json")
	if payload != nil {
		hr.Header.Set("Content-Type", mediaType)
	}
	start := time.Now()
	log := c.log.WithFields(logrus.Fields{"method": req.method, "path": req.path})
	resp, err := c.http.Do(hr)
	if err != nil {
		log.WithFields(logrus.Fields{"duration": time.Since(start), "error": err}).Debug("scim request")
		return nil, err
	}
	defer resp.Body.Close()
	res := &response{status: resp.StatusCode, header: resp.Header, buf: c.bodies.get(), kept: c.bodies}
	res.body, err = readBody(resp.Body, resp.ContentLength, (*res.buf)[:0])
	*res.buf = res.body
	log = log.WithFields(logrus.Fields{"status": resp.StatusCode, "duration": time.Since(start)})
	if err != nil {
		res.release()
		log.WithField("error", err).Debug("scim request")
		return nil, fmt.Errorf("read response: %w", err)
	}
	if len(res.body) > maxBody {
		res.release()
		return nil, fmt.Errorf("response larger than %d bytes", maxBody)
	}
	log.Debug("scim request")
	return res, nil
}

// readBody appends r to buf until EOF or until it holds more than maxBody
// bytes, sizing buf once from the Content-Length when there is one.
func readBody(r io.Reader, contentLength int64, buf []byte) ([]byte, error) {
	if contentLength >= 0 && contentLength <= maxBody {
		buf = slices.Grow(buf, int(contentLength)+1) // +1: see EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(512, cap(buf))) // double
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > maxBody {
			return buf, nil
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// statusError classifies a non-2xx response.
func (c *Client) statusError(req request, res *response) *StatusError {
	e := &StatusError{Method: req.method, Path: req.path, Status: res.status}
	e.Detail, e.ScimType = errorDetail(res.body, c.token.Reveal())
	switch s := res.status; {
	case s == http.StatusNotFound:
		e.Err = targets.ErrNotFound
	case s == http.StatusConflict:
		e.Err = targets.ErrConflict
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Err = ErrUnauthorized
	case s == http.StatusTooManyRequests:
	case s >= 400 && s < 500:
		e.Err = targets.ErrRejected
	case !req.idempotent && (s == http.StatusInternalServerError || s == http.StatusBadGateway || s == http.StatusGatewayTimeout):
		// The server (or a proxy) may have done it before failing.
		e.Err = ErrUnknownOutcome
	case s >= 300 && s < 400:
		e.Err = errors.New("unexpected redirect; check url")
	}
	return e
}

// retryable reports whether a status is worth another attempt: 429 always,
// 5xx for idempotent requests, and for the others only 503, which says the
// request was not processed. 501 and 505 never.
func retryable(status int, idempotent bool) bool {
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

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
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

// backoff is the jittered exponential wait before retry attempt+1: half
// the capped exponential value plus a random part up to the other half.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RetryMaxWait
	if attempt < 30 {
		d = min(d, c.cfg.RetryMinWait<<attempt)
	}
	return d/2 + rand.N(d/2+1)
}

// notSent reports whether err shows that the request never reached the
// server, so that even a POST may be repeated.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ctxErr prefers the context's own error to the limiter's wrapper of it.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
