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
}

// paged runs q with the simple paged results control (RFC 2696), one
// conn.Search per page in a cookie loop, and calls page with each page's
// entries (ranged attributes completed) before it asks for the next: memory
// holds one page. The entries are the caller's.
//
// Any error, a result code other than success (size or time limit,
// referral, ...) and any search continuation reference end the search
// with an error; the entries of a failed page are not passed on. An error
// page returns is returned as it is. paged returns the number of pages.
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
			[]ldap.Control{paging})
		res, err := conn.Search(req)
		if err != nil {
			return fail(searchErr(err))
		}
		if len(res.Referrals) > 0 {
			if s.cfg.References != ReferencesIgnore {
				return fail(fmt.Errorf("server returned a continuation reference to %s; references are not followed: "+
					"point base_dn at a container without other naming contexts, or set references = \"ignore\"",
					strings.Join(res.Referrals, " ")))
			}
			q.refs.add(q.what, res.Referrals)
		}
		entries := make([]mapping.Entry, len(res.Entries))
		for i, e := range res.Entries {
			var ranged bool
			entries[i], ranged = conv.entry(e)
			if ranged {
				if err := completeRangesBy(rangeReader{conn: conn, conv: conv}, &entries[i], s.cfg.Groups.RangeSize); err != nil {
					return fail(err)
				}
			}
		}
		s.log.WithFields(logrus.Fields{"search": q.what, "page": n, "entries": len(entries)}).Debug("ldap: page read")
		if err := page(entries); err != nil {
			return n, err
		}
		ctrl, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(ctrl.Cookie) == 0 {
			return n, nil
		}
		paging.SetCookie(ctrl.Cookie)
	}
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
