package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
)

// ChangedSince lists what changed at or after since by the server's
// modifyTimestamp: the IDs of people (in scope of the users search, or
// people under users.base_dn taken out of users.filter by the change) and the
// DNs of groups (of the groups search) added or modified, for an
// incremental poll where the server sends no change notifications. A
// person moved out of users.base_dn (to an OU of former staff, say) is
// listed too, from a search of the naming context that holds it, so that
// reading them again finds them gone. A person deleted is not listed: only
// a full read (or a watcher) sees it. Errors are as for Read.
func (s *Source) ChangedSince(ctx context.Context, since time.Time) (ids, groups []string, err error) {
	conn, closeConn, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer closeConn()
	stamp := "(modifyTimestamp>=" + since.UTC().Format("20060102150405Z") + ")"
	if ids, groups, err = s.changed(ctx, conn, stamp); err != nil {
		return nil, nil, err
	}
	moved, err := s.changedInContext(ctx, conn, stamp)
	if err != nil {
		return nil, nil, err
	}
	return appendNew(ids, moved), groups, nil
}

// appendNew appends to ids those of more it does not hold yet.
func appendNew(ids, more []string) []string {
	listed := make(map[string]bool, len(ids)+len(more))
	for _, id := range ids {
		listed[id] = true
	}
	for _, id := range more {
		if !listed[id] {
			listed[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// changedInContext lists the IDs of the people (users.filter) changed
// (stamp) anywhere in the naming context that holds
// users.base_dn, the server's root DSE says which; none when it does not
// say (logged once) or when that is users.base_dn itself, searched
// already. Those outside the users' search are people moved out of it:
// reading them again finds them gone (leavers). A lost connection fails
// the poll, so that its changes are listed again by the next.
func (s *Source) changedInContext(ctx context.Context, conn *ldap.Conn, stamp string) ([]string, error) {
	nc, err := namingContextOf(conn, s.cfg.Users.BaseDN)
	var lerr *ldap.Error
	if err != nil && (ctx.Err() != nil || !errors.As(err, &lerr) || lerr.ResultCode == ldap.ErrorNetwork) {
		return nil, fmt.Errorf("ldap: poll: read the root DSE: %w", err)
	}
	if err != nil || nc == "" {
		s.noContext.Do(func() {
			s.log.WithError(err).Warn("ldap: poll: the root DSE names no naming context holding users.base_dn: " +
				"a person moved out of it is seen by the next full run, not by a poll")
		})
		return nil, nil
	}
	if strings.EqualFold(nc, s.cfg.Users.BaseDN) && s.scope() == ldap.ScopeWholeSubtree {
		return nil, nil
	}
	// users.filter, not a class: it is what makes an entry a person here
	// (an account or posixAccount entry, never a computer), and a move
	// leaves the entry's attributes as they were.
	return s.pagedIDs(ctx, conn, query{what: "changed people in " + nc, base: nc, scope: ldap.ScopeWholeSubtree,
		filter: "(&" + s.cfg.Users.Filter + stamp + ")", attrs: []string{s.cfg.IDAttribute}, otherContexts: true})
}

// namingContextOf returns the naming context (of the root DSE's
// namingContexts) that base is in, the longest if several; "" when none.
func namingContextOf(conn *ldap.Conn, base string) (string, error) {
	bdn, err := ldap.ParseDN(base)
	if err != nil {
		return "", err
	}
	res, err := conn.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"namingContexts"}, nil))
	if err != nil || len(res.Entries) != 1 {
		return "", err
	}
	best, depth := "", -1
	for _, nc := range res.Entries[0].GetAttributeValues("namingContexts") {
		ndn, err := ldap.ParseDN(nc)
		if err != nil || len(ndn.RDNs) <= depth {
			continue
		}
		if ndn.EqualFold(bdn) || ndn.AncestorOfFold(bdn) {
			best, depth = nc, len(ndn.RDNs)
		}
	}
	return best, nil
}

// changed lists the people and groups that match stamp, a filter on
// when they changed.
func (s *Source) changed(ctx context.Context, conn *ldap.Conn, stamp string) (ids, groups []string, err error) {
	conv := newConverter(s.cfg.IDAttribute)
	q := query{what: "changed users", base: s.cfg.Users.BaseDN, scope: s.scope(),
		filter: "(&" + s.cfg.Users.Filter + stamp + ")", attrs: []string{s.cfg.IDAttribute}}
	_, err = s.paged(ctx, conn, conv, q, func(entries []mapping.Entry) error {
		for _, e := range entries {
			if err := conv.setID(&e); err != nil {
				return fmt.Errorf("ldap: search changed users under %q: %w", q.base, err)
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// The people (objectClass person) under the users' base that changed
	// and no longer match users.filter: a modification took them out of
	// scope (leavers), and reading them again finds them out of scope.
	q = query{what: "changed people outside users.filter", base: s.cfg.Users.BaseDN, scope: s.scope(),
		filter: "(&(objectClass=person)(!" + s.cfg.Users.Filter + ")" + stamp + ")", attrs: []string{s.cfg.IDAttribute}}
	_, err = s.paged(ctx, conn, conv, q, func(entries []mapping.Entry) error {
		for _, e := range entries {
			if err := conv.setID(&e); err == nil {
				ids = append(ids, e.ID)
			}
		}
		return nil
	})
	if err != nil || s.cfg.Groups.BaseDN == "" {
		return ids, nil, err
	}
	q = query{what: "changed groups", base: s.cfg.Groups.BaseDN, scope: ldap.ScopeWholeSubtree,
		filter: "(&" + s.cfg.Groups.Filter + stamp + ")", attrs: []string{"1.1"}}
	_, err = s.paged(ctx, conn, conv, q, func(entries []mapping.Entry) error {
		for _, e := range entries {
			groups = append(groups, e.DN)
		}
		return nil
	})
	return ids, groups, err
}
