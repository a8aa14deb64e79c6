package scim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/targets"
)

// discovery is what the generic profile learnt from /ServiceProviderConfig
// (RFC 7643 §5). It is read once, before the client's first request.
type discovery struct {
	mu   sync.Mutex
	done bool
}

// serviceProviderConfig is what idsync reads of /ServiceProviderConfig.
type serviceProviderConfig struct {
	Patch struct {
		Supported *bool `json:"supported"`
	} `json:"patch"`
	Filter struct {
		Supported  *bool `json:"supported"`
		MaxResults int   `json:"maxResults"`
	} `json:"filter"`
}

// discover reads /ServiceProviderConfig once when the profile asks for it
// and adapts the settings the configuration left unset: no PATCH support
// updates with PUT (of the whole resource), no filter support makes no
// lookups, maxResults caps the page size. Bulk is not used. A server
// without the endpoint (a 4xx) keeps the defaults; no answer at all is an
// error, and the next request asks again.
func (c *Client) discover(ctx context.Context) error {
	if !c.cfg.profile.Discover {
		return nil
	}
	c.spc.mu.Lock()
	defer c.spc.mu.Unlock()
	if c.spc.done {
		return nil
	}
	var spc *serviceProviderConfig
	req := request{method: http.MethodGet, path: "/ServiceProviderConfig", idempotent: true}
	err := c.retry.Do(ctx, func(ctx context.Context, _ int) error {
		return c.attempt(ctx, req, nil, func(b []byte) error {
			return json.Unmarshal(b, &spc)
		})
	})
	var serr *StatusError
	switch {
	case errors.As(err, &serr) && (errors.Is(err, targets.ErrRejected) || errors.Is(err, targets.ErrNotFound)):
		c.log.WithField("status", serr.Status).Info("scim: no ServiceProviderConfig; using the configured settings")
	case err != nil:
		return err
	case spc != nil:
		c.adapt(spc)
	}
	c.spc.done = true
	return nil
}

// adapt applies what spc declares to the settings the configuration
// leaves open.
func (c *Client) adapt(spc *serviceProviderConfig) {
	fields := logrus.Fields{}
	if s := spc.Patch.Supported; s != nil && !*s && c.cfg.asSet.UpdateMethod == "" {
		c.cfg.UpdateMethod = UpdatePut
		fields["update_method"] = UpdatePut
	}
	if s := spc.Filter.Supported; s != nil && !*s {
		c.cfg.profile.UserFilters = []string{}
		fields["filters"] = "none"
	}
	if m := spc.Filter.MaxResults; m > 0 && m < c.cfg.PageSize && c.cfg.asSet.PageSize == 0 {
		c.cfg.PageSize = m
		fields["page_size"] = m
	}
	c.log.WithFields(fields).Info("scim: adapted to the target's ServiceProviderConfig")
}
