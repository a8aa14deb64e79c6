package scim

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/loopback"
	"github.com/idsync/idsync/internal/secret"
)

// Defaults for the settings a Config leaves unset.
const (
	DefaultTimeout            = 30 * time.Second
	DefaultRateLimit          = 10.0
	DefaultPageSize           = 100
	DefaultMaxRetries         = 5
	DefaultMaxMembersPerPatch = 100 // AWS IAM Identity Center's limit
	DefaultRetryMinWait       = time.Second
	DefaultRetryMaxWait       = 2 * time.Minute
	DefaultRetryMaxTotalWait  = 10 * time.Minute
	DefaultConcurrency        = 4
	MaxConcurrency            = 64
	maxPageSize               = 1000
)

// Update methods for Config.UpdateMethod.
const (
	UpdatePatch = "patch"
	UpdatePut   = "put"
)

// Config is the [target.scim] section of the configuration. The zero value of
// every optional field means its default; pointer fields are pointers because
// their zero value (0, false) is a meaningful setting.
type Config struct {
	// URL is the SCIM base URL, e.g. https://api.example.com/scim/v2. It must
	// be https unless the host is a loopback address or AllowInsecureHTTP is set.
	URL string `toml:"url"`
	// AllowInsecureHTTP permits a plain http URL to a non-loopback host.
	AllowInsecureHTTP bool `toml:"allow_insecure_http"`
	// Token says where the bearer token comes from ({ file = ".." } or { env = ".." }).
	Token secret.Ref `toml:"token"`
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string `toml:"ca_file"`
	// InsecureSkipVerify turns TLS certificate verification off. Tests only.
	InsecureSkipVerify bool `toml:"insecure_skip_verify"`
	// Timeout bounds one HTTP request, including reading the response
	// (default "30s").
	Timeout duration.Duration `toml:"timeout"`
	// RateLimit is the number of requests per second this client sends at
	// most (default 10; 0 means unlimited).
	RateLimit *float64 `toml:"rate_limit"`
	// Burst is how many requests may go out at once before RateLimit applies
	// (default: RateLimit rounded up, at least 1).
	Burst int `toml:"burst"`
	// PageSize is the count asked for per list page (default 100, at most 1000).
	PageSize int `toml:"page_size"`
	// MaxRetries is how often a throttled (429), failed (5xx) or, for
	// idempotent requests, unanswered request is retried (default 5).
	MaxRetries *int `toml:"max_retries"`
	// RetryMinWait is the first backoff wait, doubled per retry (default "1s").
	RetryMinWait duration.Duration `toml:"retry_min_wait"`
	// RetryMaxWait caps one backoff wait; a Retry-After longer than this
	// fails the request instead of stalling the run (default "2m").
	RetryMaxWait duration.Duration `toml:"retry_max_wait"`
	// RetryMaxTotalWait caps the time one request spends waiting between
	// its retries (default "10m").
	RetryMaxTotalWait duration.Duration `toml:"retry_max_total_wait"`
	// UpdateMethod is "patch" (default: PATCH with replace/remove operations)
	// or "put" (GET, change the managed attributes, PUT the whole resource).
	UpdateMethod string `toml:"update_method"`
	// MaxMembersPerPatch is the most member changes one group PATCH carries
	// (default 100).
	MaxMembersPerPatch int `toml:"max_members_per_patch"`
	// MaxGroupMembers is the most members a group may have on the target
	// (default: the profile's, slack 15,000; else none): additions past it
	// are not planned, with a warning. -1 turns the profile's limit off.
	MaxGroupMembers int `toml:"max_group_members"`
	// EnterpriseExtension sends and reads employeeNumber, costCenter,
	// organization, division and department under the enterprise User
	// extension (default true). When false those attributes are neither
	// sent nor read: do not map them.
	EnterpriseExtension *bool `toml:"enterprise_extension"`
	// ExcludedAttributes are the User attributes every page of the user
	// list asks the server to leave out (excludedAttributes, RFC 7644
	// §3.4.2.5): top-level names, sub-attribute paths or URN-qualified
	// paths, none of them one idsync reads. Nil means
	// DefaultExcludedAttributes; empty sends no excludedAttributes, for a
	// server that rejects the parameter.
	ExcludedAttributes *[]string `toml:"excluded_attributes"`
	// Profile names the application behind the URL (see Profiles):
	// "slack", "github-emu", "atlassian", "aws-identity-center", "zoom" or
	// "generic". It sets the defaults of the keys above and how the client
	// pages, looks up, names and groups there. "" is plain SCIM.
	Profile string `toml:"profile"`
	// AcknowledgeIrreversibleDelete allows leavers or orphans = "delete"
	// on a profile where a delete destroys data (github-emu).
	AcknowledgeIrreversibleDelete bool `toml:"acknowledge_irreversible_delete"`
	// WriteRateLimit is the number of writes per second at most, on top of
	// RateLimit (default: the profile's, else none).
	WriteRateLimit *float64 `toml:"write_rate_limit"`
	// WriteBurst is how many writes may go out at once before
	// WriteRateLimit applies (default: the profile's, else WriteRateLimit
	// rounded up).
	WriteBurst int `toml:"write_burst"`
	// Concurrency is how many writes to different objects an apply sends
	// at once (default: the profile's, else DefaultConcurrency; at most
	// MaxConcurrency). 1 sends one at a time.
	Concurrency int `toml:"concurrency"`
	// Tenant names the vendor tenant (organisation, workspace) behind the
	// URL, for limits that are org-wide: targets with the same tenant
	// (default: the URL's host) and the same rate limits share one pacing
	// and hold back together when the server asks to wait.
	Tenant string `toml:"tenant"`
}

// Validate reports every problem in c at once, each message starting with
// the key it is about. It does not touch the network or the file system.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := validateURL(c.URL, c.AllowInsecureHTTP); err != nil {
		errs = append(errs, err)
	}
	if err := c.Token.Validate(); err != nil {
		add("token: %v", err)
	}
	if c.Timeout.Duration < 0 {
		add("timeout: must not be negative, got %s", c.Timeout)
	}
	if r := c.RateLimit; r != nil && (*r < 0 || math.IsNaN(*r) || math.IsInf(*r, 0)) {
		add("rate_limit: must be a finite number of requests per second, 0 or more (0: no limit), got %g", *r)
	}
	if c.Burst < 0 {
		add("burst: must not be negative, got %d", c.Burst)
	}
	if c.PageSize < 0 || c.PageSize > maxPageSize {
		add("page_size: must be between 1 and %d, got %d", maxPageSize, c.PageSize)
	}
	if c.MaxRetries != nil && *c.MaxRetries < 0 {
		add("max_retries: must not be negative, got %d", *c.MaxRetries)
	}
	for _, d := range []struct {
		key string
		d   duration.Duration
	}{{"retry_min_wait", c.RetryMinWait}, {"retry_max_wait", c.RetryMaxWait}, {"retry_max_total_wait", c.RetryMaxTotalWait}} {
		if d.d.Duration < 0 {
			add("%s: must not be negative, got %s", d.key, d.d)
		}
	}
	minWait, maxWait := c.RetryMinWait.Duration, c.RetryMaxWait.Duration
	if minWait > 0 && maxWait > 0 && minWait > maxWait {
		add("retry_min_wait: must not exceed retry_max_wait (%s), got %s", c.RetryMaxWait, c.RetryMinWait)
	}
	if total := c.RetryMaxTotalWait.Duration; total > 0 && maxWait > 0 && total < maxWait {
		add("retry_max_total_wait: must be at least retry_max_wait (%s), got %s", c.RetryMaxWait, c.RetryMaxTotalWait)
	}
	switch c.UpdateMethod {
	case "", UpdatePatch, UpdatePut:
	default:
		add("update_method: must be %q or %q, got %q", UpdatePatch, UpdatePut, c.UpdateMethod)
	}
	if c.MaxMembersPerPatch < 0 {
		add("max_members_per_patch: must not be negative, got %d", c.MaxMembersPerPatch)
	}
	if c.MaxGroupMembers < -1 {
		add("max_group_members: must be -1 (no limit) or more, got %d", c.MaxGroupMembers)
	}
	if _, err := ProfileNamed(c.Profile); err != nil {
		add("profile: %v", err)
	}
	if r := c.WriteRateLimit; r != nil && (*r < 0 || math.IsNaN(*r) || math.IsInf(*r, 0)) {
		add("write_rate_limit: must be a finite number of writes per second, 0 or more (0: no limit), got %g", *r)
	}
	if c.WriteBurst < 0 {
		add("write_burst: must not be negative, got %d", c.WriteBurst)
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		add("concurrency: must be between 1 and %d, got %d", MaxConcurrency, c.Concurrency)
	}
	if c.ExcludedAttributes != nil {
		enterprise := c.EnterpriseExtension == nil || *c.EnterpriseExtension
		errs = append(errs, validateExcluded(*c.ExcludedAttributes, enterprise)...)
	}
	return errors.Join(errs...)
}

func validateURL(raw string, allowHTTP bool) error {
	if raw == "" {
		return errors.New("url: required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("url: must be an absolute http(s) URL, got %q", raw)
	}
	if u.User != nil {
		return errors.New("url: must not contain credentials; use token")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("url: must not have a query or fragment, got %q", raw)
	}
	if u.Scheme == "http" && !allowHTTP && !loopback.Host(u.Hostname()) {
		return fmt.Errorf("url: must use https (or set allow_insecure_http = true), got %q", raw)
	}
	return nil
}

// settings is a Config with every default applied.
type settings struct {
	Config
	rateLimit  float64
	burst      int
	maxRetries int
	enterprise bool
	// excluded is the excludedAttributes parameter of user list pages,
	// comma-joined; "" sends none.
	excluded string
	// profile is the Profile named by Config.Profile.
	profile Profile
	// asSet is the configuration as written, before any default.
	asSet Config
	// writeRate and writeBurst pace writes (writeRate 0: not separately).
	writeRate  float64
	writeBurst int
}

func (c Config) withDefaults() settings {
	s := settings{Config: c, asSet: c, rateLimit: DefaultRateLimit, maxRetries: DefaultMaxRetries, enterprise: true}
	s.profile, _ = ProfileNamed(c.Profile) // Validate has checked the name
	s.applyProfile()
	s.URL = strings.TrimRight(c.URL, "/")
	if s.Timeout.Duration == 0 {
		s.Timeout = duration.Of(DefaultTimeout)
	}
	if c.RateLimit != nil {
		s.rateLimit = *c.RateLimit
	}
	if s.burst == 0 {
		s.burst = max(1, int(s.rateLimit+0.999))
	}
	if s.PageSize == 0 {
		s.PageSize = DefaultPageSize
	}
	if c.MaxRetries != nil {
		s.maxRetries = *c.MaxRetries
	}
	if s.RetryMinWait.Duration == 0 {
		s.RetryMinWait = duration.Of(DefaultRetryMinWait)
	}
	if s.RetryMaxWait.Duration == 0 {
		s.RetryMaxWait = duration.Of(max(DefaultRetryMaxWait, s.RetryMinWait.Duration))
	}
	if s.RetryMaxTotalWait.Duration == 0 {
		s.RetryMaxTotalWait = duration.Of(max(DefaultRetryMaxTotalWait, s.RetryMaxWait.Duration))
	}
	if s.UpdateMethod == "" {
		s.UpdateMethod = UpdatePatch
	}
	if s.MaxMembersPerPatch == 0 {
		s.MaxMembersPerPatch = DefaultMaxMembersPerPatch
	}
	if s.Concurrency == 0 {
		s.Concurrency = DefaultConcurrency
	}
	if c.EnterpriseExtension != nil {
		s.enterprise = *c.EnterpriseExtension
	}
	excluded := DefaultExcludedAttributes()
	if c.ExcludedAttributes != nil {
		excluded = *c.ExcludedAttributes
	}
	s.excluded = strings.Join(excluded, ",")
	return s
}
