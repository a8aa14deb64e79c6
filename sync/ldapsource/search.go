package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
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
	// refs collects the continuation references of a read.
	refs *refLog
	// controls are sent with every page, beside the paging control.
	controls []ldap.Control
	// otherContexts says the base holds other naming contexts (a domain's
	// root: its DNS zones, the configuration), whose continuation
	// references are skipped whatever references says.
	otherContexts bool
}

// paged runs q with the simple paged results control (RFC 2696), one
// search per page in a cookie loop, and calls page with the entries
// (ranged attributes completed) as they arrive: go-ldap decodes each
// entry on its own (SearchAsync) and idsync converts it and hands it on
// as soon as it is decoded, so memory holds a few entries (at most 64 wait
// decoded), not a page (a page of go-ldap's decoded packets is several
// times its size on the wire). An entry with a ranged attribute, and the rest of its page after
// it, are held until the page ends: the base searches that complete its
// ranges go over the same connection, which must be done with the page.
// The next page is asked for once page has seen every entry of this one.
// The entries are the caller's.
//
// Any error, a result code other than success (size or time limit,
// referral, ...) and any search continuation reference end the search
// with an error, possibly after page saw some of the page's entries: a
// caller discards everything on an error. An error page returns is
// returned as it is. paged returns the number of pages.
func (s *Source) paged(ctx context.Context, conn *ldap.Conn, conv *converter, q query, page func(entries []mapping.Entry) error) (int, error) {
	paging := ldap.NewControlPaging(uint32(s.cfg.PageSize))
	for n := 1; ; n++ {
		fail := func(err error) (int, error) {
			return n - 1, s.ctxErr(ctx, fmt.Errorf("ldap: search %s under %q: page %d: %w", q.what, q.base, n, err))
		}
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		s.log.WithFields(logrus.Fields{"search": q.what, "page": n}).Debug("ldap: page requested")
		req := ldap.NewSearchRequest(q.base, q.scope, ldap.NeverDerefAliases, 0, 0, false, q.filter, q.attrs,
			append([]ldap.Control{paging}, q.controls...))
		res, err := s.onePage(ctx, conn, conv, req, page)
		var perr pageError
		if errors.As(err, &perr) {
			return n, perr.err
		}
		if err != nil {
			return fail(err)
		}
		if len(res.referrals) > 0 {
			// The entries seen so far are discarded with the read.
			if s.cfg.References != ReferencesIgnore && !q.otherContexts {
				return fail(fmt.Errorf("server returned a continuation reference to %s; references are not followed: "+
					"point base_dn at a container without other naming contexts, or set references = \"ignore\"",
					strings.Join(res.referrals, " ")))
			}
			q.refs.add(q.what, res.referrals)
		}
		if len(res.ranged) > 0 {
			for i := range res.ranged {
				if err := completeRangesBy(rangeReader{conn: conn, conv: conv}, &res.ranged[i], s.cfg.Groups.RangeSize); err != nil {
					return fail(err)
				}
			}
			if err := page(res.ranged); err != nil {
				return n, err
			}
		}
		s.log.WithFields(logrus.Fields{"search": q.what, "page": n, "entries": res.entries}).Debug("ldap: page read")
		ctrl, ok := ldap.FindControl(res.controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(ctrl.Cookie) == 0 {
			return n, nil
		}
		paging.SetCookie(ctrl.Cookie)
	}
}

// pageError is an error the page callback returned, told from a read
// error by onePage's caller.
type pageError struct{ err error }

func (e pageError) Error() string { return e.err.Error() }

// pageResult is what onePage read of a page besides the entries it
// passed on.
type pageResult struct {
	entries   int
	referrals []string
	controls  []ldap.Control // of the SearchResultDone
	// ranged are the entry with a ranged attribute and the page's entries
	// after it, not passed on yet.
	ranged []mapping.Entry
}

// onePage runs req and passes each entry to page as it arrives (see
// paged). An error page returns is returned as a pageError.
func (s *Source) onePage(ctx context.Context, conn *ldap.Conn, conv *converter, req *ldap.SearchRequest,
	page func(entries []mapping.Entry) error) (pageResult, error) {
	var out pageResult
	// Cancelled when the page is done or abandoned, so that go-ldap's
	// goroutine for it ends.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A few entries may wait decoded, so that go-ldap's goroutine and
	// this one do not hand over every entry in lockstep.
	res := conn.SearchAsync(sctx, req, 64)
	var one [1]mapping.Entry
	for res.Next() {
		if r := res.Referral(); r != "" {
			out.referrals = append(out.referrals, r)
			continue
		}
		le := res.Entry()
		if le == nil {
			out.controls = res.Controls()
			continue
		}
		if err := ctx.Err(); err != nil {
			return out, err // the entries go-ldap still has are not handed on
		}
		out.entries++
		e, ranged := conv.entry(le)
		if ranged || out.ranged != nil {
			out.ranged = append(out.ranged, e)
			continue
		}
		one[0] = e
		err := page(one[:])
		one[0] = mapping.Entry{}
		if err != nil {
			return out, pageError{err}
		}
	}
	if err := res.Err(); err != nil {
		return out, searchErr(err)
	}
	// go-ldap ends a search that was cancelled, or that it did not send
	// because the connection was closing, as one that succeeded (as it
	// does one whose SearchResultDone has no controls): never take that
	// for the end of the page.
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if out.controls == nil && conn.IsClosing() {
		return out, errors.New("the connection closed before the page ended")
	}
	return out, nil
}

// searchErr explains a referral result, which go-ldap returns as an
// error with its result code: the read cannot follow it; and a base DN
// the server does not have (Samba's answer where AD refers).
func searchErr(err error) error {
	var lerr *ldap.Error
	if errors.As(err, &lerr) && lerr.ResultCode == ldap.LDAPResultNoSuchObject {
		return fmt.Errorf("the base DN does not exist on this server: check it, and if it is in another domain "+
			"of the forest, point url at a domain controller of that domain or at a Global Catalog (port 3268): %w", err)
	}
	if errors.As(err, &lerr) && lerr.ResultCode == ldap.LDAPResultReferral {
		return fmt.Errorf("server returned a referral to %s: the base DN is in a naming context "+
			"(another domain of the forest?) this server does not hold, and referrals are not followed: "+
			"point url at a domain controller of that domain, or at a Global Catalog (port 3268, 3269 for TLS) "+
			"to read the whole forest: %w",
			strings.Join(referrals(lerr.Packet), " "), err)
	}
	return err
}

// referrals returns the URIs of the Referral field ([3]) of the
// LDAPResult in a response packet as go-ldap decoded it.
func referrals(p *ber.Packet) []string {
	var uris []string
	if p == nil || len(p.Children) < 2 {
		return nil
	}
	for _, f := range p.Children[1].Children {
		if f.ClassType == ber.ClassContext && f.Tag == 3 {
			for _, u := range f.Children {
				uris = append(uris, string(u.Data.Bytes()))
			}
		}
	}
	return uris
}

// rangeReader reads one entry's attributes with a base search.
type rangeReader struct {
	conn *ldap.Conn
	conv *converter
}

func (r rangeReader) readEntry(dn string, attrs []string) (mapping.Attrs, error) {
	res, err := r.conn.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", attrs, nil))
	if err != nil {
		return nil, searchErr(err)
	}
	if len(res.Entries) != 1 {
		return nil, fmt.Errorf("got %d entries, want 1", len(res.Entries))
	}
	e, _ := r.conv.entry(res.Entries[0])
	return e.Attrs, nil
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
