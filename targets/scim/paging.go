package scim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
)

// maxPages stops a list whose server keeps inventing new ids (a broken
// server, or one resource per page of a huge target: 1e6 pages either way).
const maxPages = 1_000_000

// listAll lists every resource below path with startIndex/count paging and
// calls fn once per id, from the calling goroutine and in the server's
// order. fn must not keep the *T: its memory is reused for a later page.
// Every page request also carries params (which may be nil).
//
// It does not trust totalResults to end the list: it stops at an empty
// page, at a page of ids it has all seen before (SCIMMY answers a
// startIndex past the end with the first page again), or at a short page
// when totalResults does not promise more. An id seen before is never
// passed to fn again.
//
// Paging is pipelined: once a page is decoded and the list is not over,
// the request for the next page (which starts where this one ended, so it
// depends on how many resources came) goes out before fn sees this page's
// resources, so the server renders and the client receives and decodes
// page N+1 while fn works through page N. The pages requested are the same
// as without the pipeline: the decision to ask for page N+1 is taken on
// the whole of page N, before any of it reaches fn.
func listAll[T any](ctx context.Context, c *Client, path string, params url.Values, idOf func(*T) string, fn func(*T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start, count, total := 1, c.cfg.PageSize, 0
	next := fetchPage(ctx, c, path, params, start, count, listPage[T]{})
	defer func() {
		if next != nil { // fn failed: stop the request running ahead
			cancel()
			<-next.done
		}
	}()
	var seen map[string]struct{} // sized from the first page's totalResults
	var spare listPage[T]        // page N-1, whose memory page N+1 reuses
	var fresh []bool             // per resource of the page: not seen before
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
		total = cur.page.TotalResults
		if seen == nil {
			// totalResults may be wrong (see the package doc): a hint,
			// bounded so that a wild one costs little.
			seen = make(map[string]struct{}, min(max(total, len(res)), maxSeenHint))
		}
		n, nFresh := len(res), 0
		fresh = fresh[:0]
		for i := range res {
			id := idOf(&res[i])
			if id == "" {
				return fmt.Errorf("scim: GET %s: a resource on the page at %d has no id", path, start)
			}
			_, dup := seen[id]
			if !dup {
				seen[strings.Clone(id)] = struct{}{} // id is a view of the page
				nFresh++
			}
			fresh = append(fresh, !dup)
		}
		if nFresh < n {
			c.log.WithFields(logrus.Fields{"path": path, "startIndex": start, "repeated": n - nFresh}).
				Debug("scim: page repeats resources already listed")
		}
		last := n == 0 || nFresh == 0 || (n < count && total < start+n)
		if !last {
			next = fetchPage(ctx, c, path, params, start+n, count, spare)
		}
		for i := range res {
			if fresh[i] {
				if err := fn(&res[i]); err != nil {
					return err
				}
			}
		}
		spare = cur.page
		start += n
		if last {
			break
		}
	}
	spare.release() // the last page; no fetch is running
	if total > len(seen) {
		c.log.WithFields(logrus.Fields{"path": path, "totalResults": total, "listed": len(seen)}).
			Warn("scim: the target reported more resources than it listed")
	}
	return nil
}

// maxSeenHint bounds the initial size of listAll's set of listed IDs.
const maxSeenHint = 1 << 18

// pageFetch is one list request, running in its own goroutine.
type pageFetch[T any] struct {
	done chan struct{} // closed when page and err are set
	page listPage[T]
	err  error
}

// fetchPage starts requesting and decoding the page at start, with params
// added to the query. spare is a page nothing reads any more, whose memory
// the new page reuses.
func fetchPage[T any](ctx context.Context, c *Client, path string, params url.Values, start, count int, spare listPage[T]) *pageFetch[T] {
	f := &pageFetch[T]{done: make(chan struct{}), page: spare}
	go func() {
		defer close(f.done)
		q := make(url.Values, len(params)+2)
		for k, v := range params {
			q[k] = v
		}
		q.Set("startIndex", strconv.Itoa(start))
		q.Set("count", strconv.Itoa(count))
		f.err = c.do(ctx, request{method: http.MethodGet, path: path, query: q, idempotent: true}, &f.page)
	}()
	return f
}
