// Package ldapsource reads people and their groups from an LDAP directory
// (OpenLDAP, Active Directory, Samba): a paged, streaming search that holds
// one page and the group index in memory, with nested groups resolved,
// Active Directory range retrieval and objectGUID identifiers. Any read
// problem is an error; a read never ends short and quiet.
package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/mapping"
	"github.com/sirupsen/logrus"
)

// Source reads a directory over LDAP. Each Read opens its own connection,
// so a Source may be used by several goroutines.
type Source struct {
	cfg Config
	// password is behind a pointer: fmt cannot call Secret's redacting
	// methods on an unexported field, but prints a nested pointer as an
	// address.
	password   *secret.Secret
	log        logrus.FieldLogger
	userAttrs  []string
	groupAttrs []string
}

// New validates cfg and loads the bind password. It does not connect.
func New(cfg Config, log logrus.FieldLogger) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Source{cfg: cfg, log: log, password: new(secret.Secret)}
	if cfg.BindDN != "" {
		pw, err := cfg.BindPassword.Load()
		if err != nil {
			return nil, fmt.Errorf("ldap: bind_password: %w", err)
		}
		*s.password = pw
	}
	if cfg.InsecureSkipVerify {
		log.WithField("url", cfg.URL).Warn("ldap: insecure_skip_verify is set: the server certificate is not verified")
	}
	extra := []string{cfg.IDAttribute}
	if *cfg.UseMemberOf {
		extra = append(extra, "memberOf")
	}
	s.userAttrs = attrList(cfg.Users.Attributes, extra...)
	s.groupAttrs = attrList(cfg.Groups.MemberAttributes, cfg.Groups.NameAttribute)
	return s, nil
}

// Read calls fn with the person entries in scope of the configured
// searches, a page at a time, with Groups resolved (member lists of the
// groups under groups.base_dn, nested groups, and memberOf when
// use_member_of is on).
//
// Groups are read first, then people page by page; fn sees each page's
// entries as soon as the page arrives. The page is decoded into memory
// that is reused for a later page once fn returns (see sync.Source): fn
// copies what it keeps. Any read problem (connection, bind,
// timeout, size or time limit, referral, ctx cancelled, server gone
// mid-read, an entry without the ID attribute) returns an error, and the
// caller must discard everything fn has seen. An error fn returns stops the
// read and is returned as it is.
func (s *Source) Read(ctx context.Context, fn func([]mapping.Entry) error) error {
	start := time.Now()
	c, closeConn, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer closeConn()
	conv := newConverter(s.cfg.IDAttribute)
	// The groups are indexed while the server sends the first pages of
	// people: Of waits for indexed only on the first page.
	groups := mapping.NewGroups()
	indexed := make(chan struct{})
	if s.cfg.Groups.BaseDN != "" {
		list, err := s.readGroups(ctx, c, conv)
		if err != nil {
			return err
		}
		go func() {
			defer close(indexed)
			for _, g := range list {
				groups.Add(g.dn, g.name, g.members)
			}
		}()
		defer func() { <-indexed }()
	} else {
		close(indexed)
	}
	users := 0
	var fnErr error
	q := query{what: "users", base: s.cfg.Users.BaseDN, scope: s.scope(), filter: s.cfg.Users.Filter, attrs: s.userAttrs, reuse: true}
	pages, err := s.paged(ctx, c, conv, q, func(n int, pb *pageBuf) error {
		<-indexed
		entries := pb.entries
		for i := range entries {
			e := &entries[i]
			if err := conv.setID(e); err != nil {
				return fmt.Errorf("ldap: search users under %q: page %d: %w", q.base, n, err)
			}
			var memberOf []string
			if *s.cfg.UseMemberOf {
				memberOf = e.Attrs.Get("memberof")
			}
			// The memberships, like the rest of the page, live in the
			// page's buffer.
			start := len(pb.members)
			pb.members = groups.AppendOf(pb.members, e.DN, memberOf)
			e.Groups = pb.members[start:len(pb.members):len(pb.members)]
		}
		if err := fn(entries); err != nil {
			fnErr = err
			return err
		}
		users += len(entries)
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return err
	}
	s.log.WithFields(logrus.Fields{
		"users": users, "groups": groups.Len(), "pages": pages, "took": time.Since(start).Round(time.Millisecond),
	}).Info("ldap: read directory")
	return nil
}

// groupEntry is a group as read: its DN, name and member DNs.
type groupEntry struct {
	dn, name string
	members  []string
}

// readGroups reads every group under groups.base_dn.
func (s *Source) readGroups(ctx context.Context, c *client, conv *converter) ([]groupEntry, error) {
	g := s.cfg.Groups
	nameKey := strings.ToLower(g.NameAttribute)
	memberKeys := make([]string, len(g.MemberAttributes))
	for i, m := range g.MemberAttributes {
		memberKeys[i] = strings.ToLower(m)
	}
	var list []groupEntry
	q := query{what: "groups", base: g.BaseDN, scope: ldap.ScopeWholeSubtree, filter: g.Filter, attrs: s.groupAttrs}
	_, err := s.paged(ctx, c, conv, q, func(_ int, pb *pageBuf) error {
		for _, e := range pb.entries {
			var members []string
			for _, k := range memberKeys {
				v := e.Attrs.Get(k)
				if members == nil {
					members = v // a group's entry is not reused (q.reuse is off)
				} else {
					members = append(slices.Clip(members), v...)
				}
			}
			name := ""
			if v := e.Attrs.Get(nameKey); len(v) > 0 {
				name = v[0]
			}
			list = append(list, groupEntry{dn: e.DN, name: name, members: members})
		}
		return nil
	})
	return list, err
}

func (s *Source) scope() int {
	if s.cfg.Users.Scope == "one" {
		return ldap.ScopeSingleLevel
	}
	return ldap.ScopeWholeSubtree
}

// Check connects, binds and reads the users base entry (size limit 1),
// proving the URL, TLS settings, credentials and users.base_dn work.
func (s *Source) Check(ctx context.Context) error {
	c, closeConn, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer closeConn()
	base := s.cfg.Users.BaseDN
	id, err := c.send(searchRequest(base, ldap.ScopeBaseObject, presentFilter, []string{"1.1"}, 1))
	if err == nil {
		var entries []mapping.Entry
		entries, _, _, err = c.readResults(id, newConverter(s.cfg.IDAttribute), nil, nil)
		if err == nil && len(entries) != 1 {
			err = fmt.Errorf("got %d entries, want 1", len(entries))
		}
	}
	if err != nil {
		return s.ctxErr(ctx, fmt.Errorf("ldap: read users.base_dn %q: %w", base, err))
	}
	return nil
}

// ctxErr returns an error that says the read was cancelled when ctx is
// done (the connection was closed under the search), err otherwise.
func (s *Source) ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("ldap: read stopped: %w (%v)", cerr, err)
	}
	return err
}
