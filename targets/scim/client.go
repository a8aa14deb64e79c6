// Package scim is idsync's SCIM 2.0 (RFC 7643/7644) target: a client for
// /Users and /Groups on net/http and encoding/json, with paging that
// trusts neither totalResults nor the page size, PATCH or PUT updates,
// chunked group membership changes, and the pacing and bounded retries of
// targets/retry.
//
// The client is written against the RFC and checked against two servers:
// scimtest (ours, for scale and fault injection) and SCIMMY (a third-party
// Node implementation, see testdata/scimmy).
package scim

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/time/rate"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/retry"
)

// Media type of SCIM requests and responses.
const mediaType = "application/scim+json"

// Schema URNs.
const (
	schemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaError      = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// Client is a SCIM 2.0 target. It is safe for concurrent use; all its
// requests share one rate limit (with the other clients of its tenant,
// see WithTenants).
type Client struct {
	cfg   settings
	token secret.Secret
	http  *http.Client
	retry *retry.Retrier
	log   logrus.FieldLogger
	// writes paces writes on top of retry's limit; nil when the profile
	// and write_rate_limit set none.
	writes *rate.Limiter
	// spc is what /ServiceProviderConfig declared (generic profile).
	spc discovery
	// clamp notes pages shorter than asked for (see noteClamp).
	clamp clampLog
}

var (
	_ targets.Target       = (*Client)(nil)
	_ targets.Deactivator  = (*Client)(nil)
	_ targets.GroupManager = (*Client)(nil)
	_ targets.Finder       = (*Client)(nil)
	_ targets.Getter       = (*Client)(nil)
	_ targets.MemberGetter = (*Client)(nil)
)

// New validates cfg, loads the bearer token and builds the HTTP client (TLS
// verification on unless cfg says otherwise). It sends no request. log may
// be nil; the caller adds fields such as the target's name.
func New(cfg Config, log logrus.FieldLogger, opts ...Option) (*Client, error) {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("scim: invalid config: %w", err)
	}
	if log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		log = l
	}
	token, err := cfg.Token.Load()
	if err != nil {
		return nil, fmt.Errorf("scim: token: %w", err)
	}
	s := cfg.withDefaults()
	tlsConfig, err := tlsConfigFor(s.Config)
	if err != nil {
		return nil, err
	}
	if s.InsecureSkipVerify {
		log.Warn("scim: TLS certificate verification is off (insecure_skip_verify)")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	transport.MaxIdleConnsPerHost = max(4, s.burst, s.Concurrency)
	policy := retry.Policy{
		MaxRetries:   s.maxRetries,
		MinWait:      s.RetryMinWait.Duration,
		MaxWait:      s.RetryMaxWait.Duration,
		MaxTotalWait: s.RetryMaxTotalWait.Duration,
	}
	pacing := newPacing(s)
	if o.tenants != nil {
		if o.tenants.others(s) {
			log.WithField("tenant", s.tenantKey()).Warn("scim: another target on this tenant has other rate limits; " +
				"the two are paced apart: give them the same rate_limit, burst, write_rate_limit and write_burst to share the tenant's limit")
		}
		pacing, _ = o.tenants.pacingFor(s)
	}
	return &Client{
		writes: pacing.writes,
		cfg:    s,
		token:  token,
		http: &http.Client{
			Transport: transport,
			// A redirect to another host drops the Authorization header;
			// following one at all is unusual for an API: refuse it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		retry: retry.New(policy, s.rateLimit, s.burst, retry.WithPacer(pacing.requests), retry.WithOnRetry(func(err error, wait time.Duration) {
			logRetry(log, err, wait)
		})),
		log: log,
	}, nil
}

func tlsConfigFor(c Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} // opt-in; New warns
	if c.CAFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("scim: ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("scim: ca_file %s: no PEM certificates found", c.CAFile)
	}
	tc.RootCAs = pool
	return tc, nil
}

// chunk splits n items into runs of at most size, calling fn with the
// bounds of each run.
func chunk(n, size int, fn func(lo, hi int) error) error {
	if size <= 0 {
		size = math.MaxInt
	}
	for lo := 0; lo < n; lo += size {
		if err := fn(lo, min(n, lo+size)); err != nil {
			return err
		}
	}
	return nil
}

// logRetry logs a retry: a busy target (429, 503) at info level, a failure
// (other 5xx, no answer) as a warning.
func logRetry(log logrus.FieldLogger, err error, wait time.Duration) {
	fields := logrus.Fields{"wait": wait}
	var serr *StatusError
	if errors.As(err, &serr) {
		fields["method"], fields["path"], fields["status"] = serr.Method, serr.Path, serr.Status
		if serr.Status == http.StatusTooManyRequests || serr.Status == http.StatusServiceUnavailable {
			log.WithFields(fields).Info("scim: target busy; retrying")
			return
		}
	}
	log.WithFields(fields).WithField("error", err).Warn("scim: request failed; retrying")
}

// errMissingID is returned when a server answers a create without an id.
var errMissingID = errors.New("response has no id")
