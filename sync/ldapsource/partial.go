package ldapsource

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	"github.com/sirupsen/logrus"
)

// keptGroups is the group cache a Source keeps between reads; ReadChanges
// holds its lock for the whole read, so changes apply one at a time.
type keptGroups struct {
	mu    gosync.Mutex
	cache *groupCache   // nil until a full Read ends
	prim  *primaryIndex // the groups by SID, when primary groups are read
}

func (k *keptGroups) set(c *groupCache, prim *primaryIndex) {
	k.mu.Lock()
	k.cache, k.prim = c, prim
	k.mu.Unlock()
}

// errReadAll says a change read cannot tell what the changes touch: the
// caller must read everything.
var errReadAll = errors.New("the changes need a full read")

// KeepGroups makes every full Read keep the groups it read, so that
// ReadChanges can read a few changed people, and know the former members of
// a changed group, without reading every group again. It costs the memory
// of the group index between reads; a daemon following changes wants it, a
// one-shot plan does not. Call it before the first Read.
func (s *Source) KeepGroups() {
	if s.keep == nil {
		s.keep = &keptGroups{}
	}
}

// idChunk is how many IDs one search filter names.
const idChunk = 100

// ReadChanges reads what a set of directory changes touches: the people
// whose IDs are in ids (changed or deleted), and every person who joined or
// left one of the groups whose DNs are in groups, directly or through
// nested groups (a group deleted is named by its ID in ids). fn is called
// once for each of them that is still in scope, with Groups resolved as by
// Read; each entry is the caller's.
//
// covered lists the IDs whose state the read settled: every ID in ids
// (found or not: an ID not found is deleted or out of scope) and the ID of
// every person read through a group. full is true, with nothing read, when
// ReadChanges cannot tell what the changes touch: KeepGroups was not
// called, or no full Read has ended since the Source was made. With
// people's primary groups read (ad.primary_groups), a person's primary group
// is found by its SID among the groups of the last full read; full is also
// true (and what fn saw is to be discarded) when a changed group is, or
// contains, someone's primary group (its primary members are in no member
// list), or when a person's primary group is not among the groups known,
// or (Active Directory) when another DC answers than the one whose changes
// are being read (the watcher's, or a poll's: see dcPin).
// The group changes are remembered once the read
// succeeds, so the same changes passed twice read their people once more
// and find nothing new about the groups. Errors are as for Read, and leave
// the kept groups as they were.
func (s *Source) ReadChanges(ctx context.Context, ids, groups []string, fn func(mapping.Entry) error) (covered []string, full bool, err error) {
	covered, err = s.readChanges(ctx, ids, groups, fn)
	if errors.Is(err, errReadAll) {
		return nil, true, nil
	}
	return covered, false, err
}

func (s *Source) readChanges(ctx context.Context, ids, groups []string, fn func(mapping.Entry) error) (covered []string, err error) {
	if s.keep == nil {
		return nil, errReadAll
	}
	s.keep.mu.Lock()
	defer s.keep.mu.Unlock()
	if s.keep.cache == nil || s.cfg.primaryGroups() && s.keep.prim == nil {
		return nil, errReadAll
	}
	conn, closeConn, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	defer closeConn()
	if err := s.checkReadingDC(ctx, conn); err != nil {
		return nil, err
	}
	conv := newConverter(s.cfg.IDAttribute)
	next, dns, err := s.changedGroups(ctx, conn, conv, ids, groups)
	if err != nil {
		return nil, err
	}
	r := &changeRead{s: s, conn: conn, conv: conv, cache: next, prim: s.keep.prim, fn: fn, seen: map[string]bool{}}
	changed, err := r.byIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	if err := r.refreshGroupsOf(ctx, changed); err != nil {
		return nil, err
	}
	r.groups = r.cache.memberships()
	for _, e := range changed {
		if _, err := r.deliver(e); err != nil {
			return nil, err
		}
	}
	if err := r.byDNs(ctx, dns); err != nil {
		return nil, err
	}
	s.keep.cache = r.cache
	covered = append(slices.Clone(ids), r.covered...)
	s.log.WithFields(logrus.Fields{"ids": len(ids), "groups": len(groups), "through_groups": len(dns),
		"people": r.read}).Debug("ldap: read changes")
	return covered, nil
}

// changedGroups reads the groups named in groups, and the groups among ids
// that the cache knows, by their ID: a group named by its ID alone may be
// deleted (a syncrepl delete) or only changed or renamed (an Active
// Directory DirSync round reports a changed group's changed attributes,
// without objectClass), so it is removed only when no group in scope has
// that ID any more. It returns the cache as it is after those changes (a
// copy: the kept one changes only once the read succeeds) and the DNs of
// the people whose memberships they change.
func (s *Source) changedGroups(ctx context.Context, conn *ldap.Conn, conv *converter, ids, groups []string) (*groupCache, []string, error) {
	old := s.keep.cache
	var known []string
	for _, id := range ids {
		if _, ok := old.byID[id]; ok {
			known = append(known, id)
		}
	}
	if len(groups) == 0 && len(known) == 0 {
		return old, nil, nil
	}
	next := old.clone()
	prim := s.keep.prim
	var dns []string
	for _, id := range known {
		prev := next.byKey[next.byID[id]]
		g, err := s.readGroupByID(ctx, conn, conv, id)
		if err != nil {
			return nil, nil, err
		}
		if prim != nil && (prim.touches(next, prev) || prim.touches(next, g)) {
			return nil, nil, errReadAll
		}
		before := next.people(prev)
		if g == nil {
			next.removeID(id)
		} else {
			next.put(g)
		}
		dns = append(dns, next.affected(prev, g, before)...)
	}
	for _, dn := range groups {
		g, err := s.readGroup(ctx, conn, conv, dn)
		if err != nil {
			return nil, nil, err
		}
		prev := next.byKey[mapping.NormalizeDN(dn)]
		if g != nil && g.id != "" {
			if k, ok := next.byID[g.id]; ok {
				prev = next.byKey[k] // renamed: the entry's old DN
			}
		}
		if prim != nil && (prim.touches(next, prev) || prim.touches(next, g)) {
			return nil, nil, errReadAll
		}
		before := next.people(prev)
		if g == nil {
			if prev != nil && prev.id != "" {
				next.removeID(prev.id)
			} else if prev != nil {
				next.removeKey(mapping.NormalizeDN(prev.dn))
			}
		} else {
			next.put(g)
		}
		dns = append(dns, next.affected(prev, g, before)...)
	}
	slices.Sort(dns)
	return next, slices.Compact(dns), nil
}

// readGroup reads the group dn; nil when it is gone or no longer a group
// in scope of groups.base_dn and groups.filter.
func (s *Source) readGroup(ctx context.Context, conn *ldap.Conn, conv *converter, dn string) (*cachedGroup, error) {
	if !under(dn, s.cfg.Groups.BaseDN, false) {
		return nil, nil
	}
	e, err := s.readOne(ctx, conn, conv, dn, s.cfg.Groups.Filter, s.groupAttrs)
	if err != nil || e == nil {
		return nil, err
	}
	return s.group(conv, *e), nil
}

// readGroupByID reads the group whose ID is id, wherever it is now under
// groups.base_dn; nil when no group in scope has it (deleted, moved out,
// or no longer matching groups.filter).
func (s *Source) readGroupByID(ctx context.Context, conn *ldap.Conn, conv *converter, id string) (*cachedGroup, error) {
	v, err := conv.filterValue(id)
	if err != nil || s.cfg.Groups.BaseDN == "" {
		return nil, nil
	}
	q := query{what: "changed group", base: s.cfg.Groups.BaseDN, scope: ldap.ScopeWholeSubtree,
		filter: fmt.Sprintf("(&%s(%s=%s))", s.cfg.Groups.Filter, s.cfg.IDAttribute, v), attrs: s.groupAttrs}
	var g *cachedGroup
	_, err = s.paged(ctx, conn, conv, q, func(entries []mapping.Entry) error {
		for _, e := range entries {
			g = s.group(conv, e)
		}
		return nil
	})
	return g, err
}

// readOne reads the entry dn if it matches filter; nil when it does not or
// does not exist.
func (s *Source) readOne(ctx context.Context, conn *ldap.Conn, conv *converter, dn, filter string, attrs []string) (*mapping.Entry, error) {
	res, err := conn.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		filter, attrs, nil))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		return nil, nil
	}
	if err != nil {
		return nil, s.ctxErr(ctx, fmt.Errorf("ldap: read %q: %w", dn, searchErr(err)))
	}
	if len(res.Entries) == 0 {
		return nil, nil
	}
	e, ranged := conv.entry(res.Entries[0])
	if ranged {
		if err := completeRanges(rangeReader{conn: conn, conv: conv}, &e); err != nil {
			return nil, s.ctxErr(ctx, fmt.Errorf("ldap: read %q: %w", dn, err))
		}
	}
	return &e, nil
}

// changeRead is one ReadChanges under way.
type changeRead struct {
	s       *Source
	conn    *ldap.Conn
	conv    *converter
	cache   *groupCache   // the groups as they are after the changes
	prim    *primaryIndex // groups by SID; nil when primary groups are not read
	groups  groupsOf      // cache's memberships, once the groups are read
	fn      func(mapping.Entry) error
	seen    map[string]bool // IDs passed to fn
	covered []string        // IDs of people read by DN
	read    int
}

// deliver resolves e's groups and passes it to fn, once per ID. It
// returns e's ID.
func (r *changeRead) deliver(e mapping.Entry) (string, error) {
	if err := r.conv.setID(&e); err != nil {
		return "", fmt.Errorf("ldap: %w", err)
	}
	if r.seen[e.ID] {
		return e.ID, nil
	}
	r.seen[e.ID] = true
	var memberOf []string
	if *r.s.cfg.UseMemberOf {
		memberOf = e.Attrs.Get("memberof")
	}
	if r.prim != nil {
		dn, err := r.prim.group(e)
		var miss *missingPrimaryError
		switch {
		case errors.As(err, &miss):
			return "", errReadAll // a group the last full read did not see
		case err != nil:
			return "", fmt.Errorf("ldap: %w", err)
		case dn != "":
			memberOf = append(memberOf[:len(memberOf):len(memberOf)], dn)
			r.prim.use(dn)
		}
	}
	sidString(&e)
	e.Groups = r.groups.Of(e.DN, memberOf)
	r.read++
	return e.ID, r.fn(e)
}

// byIDs reads the people among ids that are in scope, a chunk of IDs per
// search, and returns them.
func (r *changeRead) byIDs(ctx context.Context, ids []string) ([]mapping.Entry, error) {
	s := r.s
	var out []mapping.Entry
	for chunk := range slices.Chunk(ids, idChunk) {
		var b strings.Builder
		b.WriteString("(&")
		b.WriteString(s.cfg.Users.Filter)
		b.WriteString("(|")
		n := 0
		for _, id := range chunk {
			v, err := r.conv.filterValue(id)
			if err != nil {
				continue // not an ID of this directory: nobody has it
			}
			fmt.Fprintf(&b, "(%s=%s)", s.cfg.IDAttribute, v)
			n++
		}
		b.WriteString("))")
		if n == 0 {
			continue
		}
		q := query{what: "changed users", base: s.cfg.Users.BaseDN, scope: s.scope(), filter: b.String(), attrs: s.userAttrs}
		_, err := s.paged(ctx, r.conn, r.conv, q, func(entries []mapping.Entry) error {
			out = append(out, entries...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refreshGroupsOf reads the groups that list each of people as a member
// and takes them into the cache. A rename of a person makes the server
// (OpenLDAP's refint overlay, Active Directory itself) rewrite the member
// values of the person's groups, and those rewrites are not reported as
// changes: without this, a renamed person would look as if they had left
// their groups.
func (r *changeRead) refreshGroupsOf(ctx context.Context, people []mapping.Entry) error {
	s := r.s
	if s.cfg.Groups.BaseDN == "" || len(people) == 0 {
		return nil
	}
	for _, e := range people {
		var b strings.Builder
		b.WriteString("(&")
		b.WriteString(s.cfg.Groups.Filter)
		b.WriteString("(|")
		for _, m := range s.cfg.Groups.MemberAttributes {
			fmt.Fprintf(&b, "(%s=%s)", m, ldap.EscapeFilter(e.DN))
		}
		b.WriteString("))")
		q := query{what: "groups of a changed user", base: s.cfg.Groups.BaseDN, scope: ldap.ScopeWholeSubtree,
			filter: b.String(), attrs: s.groupAttrs}
		_, err := s.paged(ctx, r.conn, r.conv, q, func(entries []mapping.Entry) error {
			for _, ge := range entries {
				g := s.group(r.conv, ge)
				if old := r.cache.byKey[mapping.NormalizeDN(g.dn)]; old != nil && slices.Equal(old.members, g.members) && old.name == g.name {
					continue
				}
				if r.cache == s.keep.cache {
					r.cache = r.cache.clone()
				}
				r.cache.put(g)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// byDNs reads the people at dns that are in scope, one base search each.
func (r *changeRead) byDNs(ctx context.Context, dns []string) error {
	s := r.s
	for _, dn := range dns {
		if !under(dn, s.cfg.Users.BaseDN, s.cfg.Users.Scope == "one") {
			continue
		}
		e, err := s.readOne(ctx, r.conn, r.conv, dn, s.cfg.Users.Filter, s.userAttrs)
		if err != nil {
			return err
		}
		if e == nil {
			continue
		}
		id, err := r.deliver(*e)
		if err != nil {
			return err
		}
		r.covered = append(r.covered, id)
	}
	return nil
}

// under reports whether dn is below base (or base itself when not
// oneLevel); with oneLevel, whether it is an immediate child.
func under(dn, base string, oneLevel bool) bool {
	d, b := mapping.NormalizeDN(dn), mapping.NormalizeDN(base)
	if b == "" {
		return !oneLevel || !strings.Contains(d, ",")
	}
	if !oneLevel && d == b {
		return true
	}
	rest, ok := strings.CutSuffix(d, ","+b)
	return ok && rest != "" && (!oneLevel || !strings.Contains(unescaped(rest), ","))
}

// unescaped drops backslash escapes so that an escaped comma does not count
// as a separator.
func unescaped(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// filterValue returns id as an assertion value for a filter on the ID
// attribute: escaped, and for objectGUID the binary form of its string.
func (c *converter) filterValue(id string) (string, error) {
	if !c.guid {
		return ldap.EscapeFilter(id), nil
	}
	b, err := parseGUID(id)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, x := range b {
		fmt.Fprintf(&out, `\%02x`, x)
	}
	return out.String(), nil
}

// parseGUID is formatGUID's inverse.
func parseGUID(s string) ([]byte, error) {
	h := strings.ReplaceAll(s, "-", "")
	if len(s) != 36 || len(h) != 32 {
		return nil, fmt.Errorf("%q: %w", s, errNotID)
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, errNotID)
	}
	order := [16]byte{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	b := make([]byte, 16)
	for i, src := range order {
		b[src] = raw[i]
	}
	return b, nil
}

var errNotID = errors.New("not an identifier of this directory")
