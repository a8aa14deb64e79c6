package ldapsource

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	"github.com/sirupsen/logrus"
)

// query is one paged search.
type query struct {
	what   string // "users" or "groups", for messages
	base   string
	scope  int
	filter string
	attrs  []string
	// reuse decodes page after page into the same memory; the page
	// callback must not keep anything of its entries. Off for groups,
	// which the group index keeps.
	reuse bool
}

// paged runs q with the simple paged results control (RFC 2696) and calls
// page with each page's buffer, pb.entries the page's entries (ranged
// attributes completed). Reading and
// handing on overlap: a goroutine reads the next page off the connection
// (and sends the request for the one after it) while page runs, so at most
// two pages are held in memory. The buffer passed to page is reused once
// page returns, and with q.reuse so is every string and slice the entries
// refer to.
//
// Any error, a result code other than success (size or time limit,
// referral, ...) and any search continuation reference end the search
// with an error; the entries of a failed page are not passed on. An error
// page returns is returned as it is, after the reading goroutine stopped.
// paged returns the number of pages.
func (s *Source) paged(ctx context.Context, c *client, conv *converter, q query, page func(n int, pb *pageBuf) error) (int, error) {
	filter, err := ldap.CompileFilter(q.filter)
	if err != nil {
		return 0, fmt.Errorf("ldap: %s filter: %w", q.what, err)
	}
	type result struct {
		n   int
		buf *pageBuf
		err error
	}
	pages := make(chan result, 1)
	free := make(chan *pageBuf, 2) // the two page buffers
	free <- new(pageBuf)
	free <- new(pageBuf)
	stop := make(chan struct{})
	go func() {
		defer close(pages)
		n := 1
		fail := func(err error) {
			pages <- result{n: n, err: s.ctxErr(ctx, fmt.Errorf("ldap: search %s under %q: page %d: %w", q.what, q.base, n, err))}
		}
		ctrl := ldap.NewControlPaging(uint32(s.cfg.PageSize))
		id, err := c.send(searchRequest(q.base, q.scope, filter, q.attrs, 0), ctrl)
		if err != nil {
			fail(err)
			return
		}
		for ; ; n++ {
			var pb *pageBuf
			select {
			case pb = <-free:
			case <-stop:
				return
			}
			if err := ctx.Err(); err != nil {
				fail(err)
				return
			}
			pb.reset()
			into := pb
			if !q.reuse {
				into = nil
			}
			entries, cookie, ranged, err := c.readResults(id, conv, pb.entries, into)
			pb.entries = entries
			if err != nil {
				fail(err)
				return
			}
			if ranged {
				rr := rangeReader{c: c, conv: conv}
				for i := range entries {
					if err := completeRanges(rr, &entries[i]); err != nil {
						fail(err)
						return
					}
				}
			}
			if len(cookie) > 0 {
				ctrl.SetCookie(cookie)
				if id, err = c.send(searchRequest(q.base, q.scope, filter, q.attrs, 0), ctrl); err != nil {
					fail(err)
					return
				}
			}
			select {
			case pages <- result{n: n, buf: pb}:
			case <-stop:
				return
			}
			if len(cookie) == 0 {
				return
			}
		}
	}()
	n := 0
	for r := range pages {
		if r.err != nil {
			return r.n, r.err
		}
		n = r.n
		s.log.WithFields(logrus.Fields{"search": q.what, "page": r.n, "entries": len(r.buf.entries)}).Debug("ldap: page read")
		err := page(r.n, r.buf)
		r.buf.release()
		if err != nil {
			// Stop the reader: it may be waiting for the server, so cut
			// its read short, and wait until it no longer uses c.
			close(stop)
			c.interrupt()
			for range pages {
			}
			return n, err
		}
		free <- r.buf
	}
	return n, nil
}

// readResults reads the responses to search id up to SearchResultDone,
// appending the entries to entries. It returns the paging cookie ("" when
// done or not paged) and whether any entry has ranged attributes. With pb,
// the entries are decoded into pb's memory (see pageBuf).
func (c *client) readResults(id int64, conv *converter, entries []mapping.Entry, pb *pageBuf) ([]mapping.Entry, []byte, bool, error) {
	if err := c.startRead(); err != nil {
		return entries, nil, false, err
	}
	ranged := false
	for {
		m, err := c.read(id, pb)
		if err != nil {
			return entries, nil, false, err
		}
		switch m.op {
		case opSearchEntry:
			e, r, err := conv.decode(m.body, pb)
			if err != nil {
				return entries, nil, false, err
			}
			entries = append(entries, e)
			ranged = ranged || r
		case opSearchReference:
			var refs []string
			for rest := m.body; rest != ""; {
				var uri string
				if uri, rest, err = expect(rest, tagOctetString); err != nil {
					return entries, nil, false, err
				}
				refs = append(refs, uri)
			}
			return entries, nil, false, fmt.Errorf("server returned a continuation reference to %s; "+
				"references are not followed: point base_dn at a container without other naming contexts", strings.Join(refs, " "))
		case opSearchDone:
			code, matched, diag, refs, err := parseResult(m.body)
			if err != nil {
				return entries, nil, false, err
			}
			if code == ldap.LDAPResultReferral {
				return entries, nil, false, fmt.Errorf("server returned a referral to %s; referrals are not followed: %w",
					strings.Join(refs, " "), resultError(code, matched, diag))
			}
			if code != ldap.LDAPResultSuccess {
				return entries, nil, false, resultError(code, matched, diag)
			}
			cookie, err := pagingCookie(m.controls)
			return entries, cookie, ranged, err
		default:
			return entries, nil, false, fmt.Errorf("malformed response: operation %#x in a search", m.op)
		}
	}
}

// pagingCookie returns the cookie of the paged results control in the
// contents of a Controls element, nil when there is none.
func pagingCookie(controls string) ([]byte, error) {
	for controls != "" {
		ctl, rest, err := expect(controls, tagSequence)
		if err != nil {
			return nil, err
		}
		controls = rest
		oid, ctl, err := expect(ctl, tagOctetString)
		if err != nil {
			return nil, err
		}
		if oid != ldap.ControlTypePaging {
			continue
		}
		if tag, _, after, err := tlv(ctl); err == nil && tag == tagBoolean {
			ctl = after
		}
		val, _, err := expect(ctl, tagOctetString)
		if err != nil {
			return nil, fmt.Errorf("paged results control: %w", err)
		}
		seq, _, err := expect(val, tagSequence)
		if err != nil {
			return nil, fmt.Errorf("paged results control: %w", err)
		}
		_, seq, err = expect(seq, tagInteger)
		if err != nil {
			return nil, fmt.Errorf("paged results control: %w", err)
		}
		cookie, _, err := expect(seq, tagOctetString)
		if err != nil {
			return nil, fmt.Errorf("paged results control: %w", err)
		}
		return []byte(cookie), nil
	}
	return nil, nil
}

// rangeReader reads one entry's attributes with a base search.
type rangeReader struct {
	c    *client
	conv *converter
}

var presentFilter, _ = ldap.CompileFilter("(objectClass=*)")

func (r rangeReader) readEntry(dn string, attrs []string) (mapping.Attrs, error) {
	id, err := r.c.send(searchRequest(dn, ldap.ScopeBaseObject, presentFilter, attrs, 0))
	if err != nil {
		return nil, err
	}
	entries, _, _, err := r.c.readResults(id, r.conv, nil, nil)
	if err != nil {
		return nil, err
	}
	if len(entries) != 1 {
		return nil, fmt.Errorf("got %d entries, want 1", len(entries))
	}
	return entries[0].Attrs, nil
}

// attrList returns want with extra appended, without duplicates
// (case-insensitive).
func attrList(want []string, extra ...string) []string {
	out := make([]string, 0, len(want)+len(extra))
	seen := make(map[string]bool, len(want)+len(extra))
	for _, a := range append(append([]string(nil), want...), extra...) {
		k := strings.ToLower(a)
		if !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}
