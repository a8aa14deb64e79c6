package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sirupsen/logrus"
)

// maxPages stops a list whose server keeps inventing new ids (a broken
// server, or one resource per page of a huge target: 1e6 pages either way).
const maxPages = 1_000_000

// listResponse is a SCIM ListResponse (RFC 7644 §3.4.2). encoding/json
// matches "Resources" case-insensitively.
type listResponse struct {
	TotalResults int               `json:"totalResults"`
	Resources    []json.RawMessage `json:"Resources"`
}

// pages lists every resource below path with startIndex/count paging and
// calls fn once per id. It does not trust totalResults to end the list:
// it stops at an empty page, at a page of ids it has all seen before
// (SCIMMY answers a startIndex past the end with the first page again), or
// at a short page when totalResults does not promise more. An id seen
// before is never passed to fn again.
func (c *Client) pages(ctx context.Context, path string, fn func(id string, r map[string]any) error) error {
	seen := make(map[string]struct{})
	start, count, total := 1, c.cfg.PageSize, 0
	for page := 0; ; page++ {
		if page >= maxPages {
			return fmt.Errorf("scim: GET %s: more than %d pages; the target's paging looks broken", path, maxPages)
		}
		var lr listResponse
		q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
		if err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, idempotent: true}, &lr); err != nil {
			return err
		}
		total = lr.TotalResults
		fresh := 0
		for _, raw := range lr.Resources {
			r, err := decodeObject(raw)
			if err != nil {
				return fmt.Errorf("scim: GET %s: %w", path, err)
			}
			id := str(getCI(r, "id"))
			if id == "" {
				return fmt.Errorf("scim: GET %s: a resource on the page at %d has no id", path, start)
			}
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
			fresh++
			if err := fn(id, r); err != nil {
				return err
			}
		}
		n := len(lr.Resources)
		if fresh < n {
			c.log.WithFields(logrus.Fields{"path": path, "startIndex": start, "repeated": n - fresh}).
				Debug("scim: page repeats resources already listed")
		}
		start += n
		if n == 0 || fresh == 0 || (n < count && total < start) {
			break
		}
	}
	if total > len(seen) {
		c.log.WithFields(logrus.Fields{"path": path, "totalResults": total, "listed": len(seen)}).
			Warn("scim: the target reported more resources than it listed")
	}
	return nil
}

// decodeObject decodes one JSON object, keeping numbers as json.Number.
func decodeObject(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode resource: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("decode resource: not an object")
	}
	return m, nil
}
