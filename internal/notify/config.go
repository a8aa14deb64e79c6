// Package notify tells people when the daemon stops applying: a webhook
// posted when runs keep failing or a guard refuses a plan, and again when a
// run succeeds after that. The body is JSON with a top-level "text" (which
// Slack, Mattermost and Teams incoming webhooks show) and an "idsync" object
// for machines. The webhook URL is a secret: it is read through a
// secret.Ref and never logged or put in an error.
package notify

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
)

// Defaults of Config.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMinFailures = 1
)

// Config is the [daemon.notify] section.
type Config struct {
	// Webhook says where the webhook URL comes from ({ file = ".." } or
	// { env = ".." }): such URLs usually embed a token. Unset means no
	// notifications.
	Webhook secret.Ref `toml:"webhook"`
	// AllowInsecureHTTP permits a plain http URL.
	AllowInsecureHTTP bool `toml:"allow_insecure_http"`
	// MinFailures is the number of failed runs in a row that triggers a
	// notification (default 1). A guard refusal notifies at once.
	MinFailures int `toml:"min_failures"`
	// Timeout bounds one HTTP request (default 10s).
	Timeout duration.Duration `toml:"timeout"`
}

// Enabled reports whether a webhook is configured.
func (c Config) Enabled() bool { return !c.Webhook.IsZero() }

// Validate checks the keys without reading the secret. Problems are joined,
// each starting with its key.
func (c Config) Validate() error {
	var errs []error
	if !c.Enabled() {
		if c.MinFailures != 0 || c.Timeout.Duration != 0 || c.AllowInsecureHTTP {
			errs = append(errs, errors.New("webhook: set file or env (the other keys need a webhook)"))
		}
		return errors.Join(errs...)
	}
	if err := c.Webhook.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("webhook: %w", err))
	}
	if c.MinFailures < 0 {
		errs = append(errs, fmt.Errorf("min_failures: must not be negative, got %d", c.MinFailures))
	}
	if c.Timeout.Duration < 0 {
		errs = append(errs, fmt.Errorf("timeout: must not be negative, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// withDefaults fills the unset keys.
func (c Config) withDefaults() Config {
	if c.MinFailures == 0 {
		c.MinFailures = DefaultMinFailures
	}
	if c.Timeout.Duration == 0 {
		c.Timeout = duration.Of(DefaultTimeout)
	}
	return c
}

// checkURL checks a loaded webhook URL. Its errors never quote the URL.
func checkURL(raw string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, errors.New("webhook: not an absolute http(s) URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		return nil, errors.New("webhook: must use https (or set allow_insecure_http = true)")
	default:
		return nil, errors.New("webhook: not an absolute http(s) URL")
	}
	return u, nil
}
