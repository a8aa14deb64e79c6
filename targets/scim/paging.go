package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sirupsen/logrus"
)

// maxPages stops a list whose server keeps inventing new ids (a broken
// server, or one resource per page of a huge target: 1e6 pages either way).
const maxPages = 1_000_000

// ErrIgnoresStartIndex means a list page repeated resources already listed
// before the list had as many as the server claimed: the server ignores
// startIndex (AWS IAM Identity Center returns its first page again), so
// the list cannot be trusted to be complete.
var ErrIgnoresStartIndex = errors.New("the server repeated resources: it ignores startIndex")

// listAll lists every resource below path and calls fn once per resource,
// from the calling goroutine and in the server's order. Every page request
// also carries params (which may be nil).
//
// It trusts neither totalResults nor the page size, both of which real
// servers get wrong (pages capped below the count asked for, totalResults
// equal to the page size): the next page starts after the resources
// received, and the list ends only at an empty page. It keeps the IDs seen:
// a page made only of resources already listed ends the list when the list
// has as many resources as the largest totalResults claimed (SCIMMY
// repeats its first page past the end); any other repeat is
// ErrIgnoresStartIndex, which names the startIndex, and nothing of that
// page reaches fn.
//
// Paging is pipelined: once a page is decoded and checked, the request for
// the next page goes out before fn sees this page's resources, so the
// server renders and the client receives and decodes page N+1 while fn
// works through page N. The pages requested are the same as without the
// pipeline.
func listAll[T any](ctx context.Context, c *Client, path string, params url.Values, idOf func(*T) string, fn func(*T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start, claimed := 1, 0
	seen := map[string]struct{}{}
	next := fetchPage[T](ctx, c, path, params, start)
	defer func() {
		if next != nil { // fn failed: stop the request running ahead
			cancel()
			<-next.done
		}
	}()
	for page := 0; ; page++ {
		if page >= maxPages {
			return fmt.Errorf("scim: GET %s: more than %d pages; the target's paging looks broken", path, maxPages)
		}
		cur := next
		next = nil
		<-cur.done
		if cur.err != nil {
			return cur.err
		}
		res := cur.page.Resources
		claimed = max(claimed, cur.page.TotalResults)
		fresh, repeated, err := checkPage(path, start, res, idOf, seen)
		if err != nil {
			return err
		}
		if repeated {
			if fresh > 0 || len(seen) < claimed {
				return fmt.Errorf("scim: GET %s: page at startIndex=%d: %w (%d listed, %d claimed)",
					path, start, ErrIgnoresStartIndex, len(seen), claimed)
			}
			c.log.WithFields(logrus.Fields{"path": path, "startIndex": start}).
				Debug("scim: a page past the end repeats resources already listed; list complete")
			break
		}
		if len(res) == 0 {
			break
		}
		c.noteClamp(path, len(res), page)
		next = fetchPage[T](ctx, c, path, params, start+len(res))
		for i := range res {
			if err := fn(&res[i]); err != nil {
				return err
			}
		}
		start += len(res)
	}
	if claimed > len(seen) {
		c.log.WithFields(logrus.Fields{"path": path, "totalResults": claimed, "listed": len(seen)}).
			Warn("scim: the target reported more resources than it listed")
	}
	return nil
}

// checkPage counts the resources of a page whose IDs are not in seen
// (fresh) and reports whether the page repeats an ID, of an earlier page
// or of this one. Only a page that repeats nothing adds its IDs to seen. A
// resource without an id is an error.
func checkPage[T any](path string, start int, res []T, idOf func(*T) string, seen map[string]struct{}) (fresh int, repeated bool, err error) {
	onPage := make(map[string]struct{}, len(res))
	for i := range res {
		id := idOf(&res[i])
		if id == "" {
			return 0, false, fmt.Errorf("scim: GET %s: a resource on the page at startIndex=%d has no id", path, start)
		}
		_, before := seen[id]
		_, here := onPage[id]
		if before || here {
			repeated = true
			continue
		}
		onPage[id] = struct{}{}
		fresh++
	}
	if !repeated {
		for id := range onPage {
			seen[id] = struct{}{}
		}
	}
	return fresh, repeated, nil
}

// pageFetch is one list request, running in its own goroutine.
type pageFetch[T any] struct {
	done chan struct{} // closed when page and err are set
	page *listResponse[T]
	err  error
}

// fetchPage starts requesting and decoding the page at start, with params
// added to the query.
func fetchPage[T any](ctx context.Context, c *Client, path string, params url.Values, start int) *pageFetch[T] {
	f := &pageFetch[T]{done: make(chan struct{})}
	go func() {
		defer close(f.done)
		q := make(url.Values, len(params)+2)
		for k, v := range params {
			q[k] = v
		}
		q.Set("startIndex", strconv.Itoa(start))
		q.Set("count", strconv.Itoa(c.cfg.PageSize))
		f.err = c.do(ctx, request{method: http.MethodGet, path: path, query: q, idempotent: true}, func(b []byte) error {
			var err error
			f.page, err = decodeList[T](b)
			return err
		})
		if f.err == nil && f.page == nil { // an empty body
			f.page = &listResponse[T]{}
		}
	}()
	return f
}
