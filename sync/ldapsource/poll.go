package ldapsource

import (
	"context"
	"fmt"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
)

// ChangedSince lists what changed at or after since by the server's
// modifyTimestamp: the IDs of people (in scope of the users search, or
// people under users.base_dn taken out of users.filter by the change) and the
// DNs of groups (of the groups search) added or modified, for an
// incremental poll where the server sends no change notifications. A
// person deleted, or moved out of users.base_dn, is not listed: only a
// full read (or a watcher) sees it. Errors are as for Read.
func (s *Source) ChangedSince(ctx context.Context, since time.Time) (ids, groups []string, err error) {
	conn, closeConn, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer closeConn()
	return s.changed(ctx, conn, "(modifyTimestamp>="+since.UTC().Format("20060102150405Z")+")")
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
