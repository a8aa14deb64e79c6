package scim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/sirupsen/logrus"
)

// listResources lists path with the profile's paging: listCursor for a
// cursor-paged target, listAll otherwise.
func listResources[T any](ctx context.Context, c *Client, path string, params url.Values, idOf func(*T) string, fn func(*T) error) error {
	if c.cfg.profile.CursorPaging {
		return listCursor(ctx, c, path, params, idOf, fn)
	}
	return listAll(ctx, c, path, params, idOf, fn)
}

// listCursor lists every resource below path with cursor paging (AWS IAM
// Identity Center): the first request carries an empty cursor, each next
// one the nextCursor of the last page, and the list ends at a page
// without one. A resource listed twice is an error (a cursor that loops),
// as is a resource without an id.
func listCursor[T any](ctx context.Context, c *Client, path string, params url.Values, idOf func(*T) string, fn func(*T) error) error {
	seen := map[string]struct{}{}
	cursor := ""
	for page := 0; ; page++ {
		if page >= maxPages {
			return fmt.Errorf("scim: GET %s: more than %d pages; the target's paging looks broken", path, maxPages)
		}
		q := make(url.Values, len(params)+2)
		for k, v := range params {
			q[k] = v
		}
		q.Set("cursor", cursor)
		q.Set("count", strconv.Itoa(c.cfg.PageSize))
		var lr *listResponse[T]
		err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, idempotent: true}, func(b []byte) error {
			var err error
			lr, err = decodeList[T](b)
			return err
		})
		if err != nil {
			return err
		}
		if lr == nil {
			return nil
		}
		for i := range lr.Resources {
			id := idOf(&lr.Resources[i])
			if id == "" {
				return fmt.Errorf("scim: GET %s: a resource on page %d has no id", path, page+1)
			}
			if _, dup := seen[id]; dup {
				return fmt.Errorf("scim: GET %s: page %d repeats %s: the cursor loops", path, page+1, id)
			}
			seen[id] = struct{}{}
		}
		if len(lr.Resources) > 0 {
			c.noteClamp(path, len(lr.Resources), page)
		}
		for i := range lr.Resources {
			if err := fn(&lr.Resources[i]); err != nil {
				return err
			}
		}
		if lr.NextCursor == "" || len(lr.Resources) == 0 {
			return nil
		}
		cursor = lr.NextCursor
	}
}

// clampLog remembers the short pages seen, to warn once per path that the
// target caps pages below page_size.
type clampLog struct {
	mu     sync.Mutex
	short  map[string]int // path -> size of a short page followed by nothing yet
	warned map[string]bool
}

// noteClamp is told the size n of every non-empty page of path (page
// counted from 0). A page shorter than page_size that is not the last one
// means the server clamps count: it warns once with the size it allows,
// so that page_size can be set to it. The listing itself does not depend
// on it: it goes on to the end either way.
func (c *Client) noteClamp(path string, n, page int) {
	c.clamp.mu.Lock()
	defer c.clamp.mu.Unlock()
	if c.clamp.short == nil {
		c.clamp.short, c.clamp.warned = map[string]int{}, map[string]bool{}
	}
	if page == 0 {
		delete(c.clamp.short, path)
	}
	if s, ok := c.clamp.short[path]; ok && !c.clamp.warned[path] {
		c.clamp.warned[path] = true
		c.log.WithFields(logrus.Fields{"path": path, "page_size": c.cfg.PageSize, "served": s}).
			Warn("scim: the target serves fewer resources per page than page_size asks for; set page_size to what it serves")
	}
	if _, ok := c.clamp.short[path]; !ok && n < c.cfg.PageSize {
		c.clamp.short[path] = n // the first short page: the clamp
	}
}

// Clamped returns the page size the target was seen to clamp path's pages
// to, or 0 when no clamp was seen.
func (c *Client) Clamped(path string) int {
	c.clamp.mu.Lock()
	defer c.clamp.mu.Unlock()
	if !c.clamp.warned[path] {
		return 0
	}
	return c.clamp.short[path]
}
