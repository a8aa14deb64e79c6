package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/retry"
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

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends req through the retrier (pacing before every attempt; throttled,
// failed and, when idempotent, unanswered requests retried) and decodes a
// successful response with decode when decode is not nil and the body is
// not empty.
func (c *Client) do(ctx context.Context, req request, decode func([]byte) error) error {
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return fmt.Errorf("scim: %s %s: encode request: %w", req.method, req.path, err)
		}
	}
	if err := c.discover(ctx); err != nil {
		return err
	}
	err := c.retry.Do(ctx, func(ctx context.Context, _ int) error {
		if c.writes != nil && req.method != http.MethodGet {
			if err := c.writes.Wait(ctx); err != nil {
				return fmt.Errorf("scim: %s %s: wait for the write rate limit: %w", req.method, req.path, err)
			}
		}
		return c.attempt(ctx, req, payload, decode)
	})
	var g *retry.GiveUpError
	var serr *StatusError
	switch {
	case errors.As(err, &g) && errors.As(g.Err, &serr):
		serr.Err = errors.New(g.Reason())
		return serr
	case errors.As(err, &g):
		return fmt.Errorf("scim: %s %s: %s: %w", req.method, req.path, g.Reason(), g.Err)
	case err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("scim: %s %s: %w", req.method, req.path, ctx.Err())
	}
	return err
}

// attempt sends req once. It returns nil on success, a retry.Again or
// retry.Throttled error when another attempt may succeed, and the final
// error otherwise.
func (c *Client) attempt(ctx context.Context, req request, payload []byte, decode func([]byte) error) error {
	res, err := c.send(ctx, req, payload)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case !req.idempotent && !retry.NotSent(err):
			return fmt.Errorf("scim: %s %s: %w: %w", req.method, req.path, ErrUnknownOutcome, err)
		}
		return retry.Again(err)
	}
	if res.status < 200 || res.status > 299 {
		serr := c.statusError(req, res)
		if !retry.RetryableStatus(res.status, req.idempotent) {
			return serr
		}
		return retry.Throttled(serr, res.header.Get("Retry-After"))
	}
	if req.method != http.MethodGet {
		if serr := c.refusedWith2xx(req, res); serr != nil {
			return serr
		}
	}
	if decode == nil || len(bytes.TrimSpace(res.body)) == 0 {
		return nil
	}
	if err := decode(res.body); err != nil {
		if !req.idempotent { // it worked, but we cannot tell what it made
			return fmt.Errorf("scim: %s %s: %w: decode response: %w", req.method, req.path, ErrUnknownOutcome, err)
		}
		return fmt.Errorf("scim: %s %s: %w", req.method, req.path, err)
	}
	return nil
}

// send makes one attempt, bounded by the configured timeout, and reads the
// whole response.
func (c *Client) send(ctx context.Context, req request, payload []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout.Duration)
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
	res := &response{status: resp.StatusCode, header: resp.Header}
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxBody {
		buf.Grow(int(n) + bytes.MinRead) // one allocation for the whole body
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
	res.body = buf.Bytes()
	log = log.WithFields(logrus.Fields{"status": resp.StatusCode, "duration": time.Since(start)})
	if err != nil {
		log.WithField("error", err).Debug("scim request")
		return nil, fmt.Errorf("read response: %w", err)
	}
	if len(res.body) > maxBody {
		return nil, fmt.Errorf("response larger than %d bytes", maxBody)
	}
	log.Debug("scim request")
	return res, nil
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

// refusedWith2xx returns a rejection when a write got a success status
// with a SCIM error body (RFC 7644 §3.12), as some servers answer a write
// they refused: a refused write is never counted as done.
func (c *Client) refusedWith2xx(req request, res *response) *StatusError {
	var msg struct {
		Schemas []string `json:"schemas"`
	}
	if json.Unmarshal(res.body, &msg) != nil || !slices.Contains(msg.Schemas, schemaError) {
		return nil
	}
	e := &StatusError{Method: req.method, Path: req.path, Status: res.status, Err: targets.ErrRejected}
	e.Detail, e.ScimType = errorDetail(res.body, c.token.Reveal())
	return e
}
