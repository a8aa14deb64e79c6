// Package ldapsource reads people and their groups from an LDAP directory
// (OpenLDAP, Active Directory, Samba): a paged, streaming search that holds
// a few entries and the group index in memory, with nested groups resolved,
// Active Directory range retrieval and objectGUID identifiers. Any read
// problem is an error; a read never ends short and quiet.
package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/loopback"
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
	nameKey    string   // groups.name_attribute, lower-cased
	memberKeys []string // groups.member_attributes, lower-cased
	// keep, when set by KeepGroups, holds the groups of the last full
	// Read for ReadChanges.
	keep *keptGroups
	// pin is the server every Source of the same servers uses.
	pin *dcPin
	// noContext logs, once, that polls cannot see people moved out of
	// users.base_dn (the root DSE names no naming context holding it).
	noContext *gosync.Once
	// discovery finds the servers in DNS (discover.domain); nil when
	// they are configured. resolver resolves their names (nil: the
	// system's resolver).
	discovery *discovery
	resolver  *net.Resolver
}

// New validates cfg and loads the bind password. It does not connect.
func New(cfg Config, log logrus.FieldLogger) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Source{cfg: cfg, log: log, password: new(secret.Secret), noContext: new(gosync.Once),
		pin: pinFor(strings.Join(append([]string{cfg.URL}, cfg.FailoverURLs...), " "))}
	if cfg.Discover.on() {
		s.resolver = dnsResolver(cfg.Discover.DNSServer)
		s.discovery = &discovery{cfg: cfg.Discover, resolver: s.resolver}
		s.pin = pinFor(cfg.Discover.Scheme + " " + strings.Join(cfg.Discover.names(), " "))
	}
	if cfg.BindDN != "" || cfg.BindMethod == BindNTLM {
		pw, err := cfg.BindPassword.Load()
		if err != nil {
			return nil, fmt.Errorf("ldap: bind_password: %w", err)
		}
		*s.password = pw
	}
	if cfg.InsecureSkipVerify {
		log.WithField("url", cfg.URL).Warn("ldap: insecure_skip_verify is set: the server certificate is not verified")
	}
	if cfg.Discover.on() && cfg.CAFile == "" {
		log.WithField("domain", cfg.Discover.Domain).Warn("ldap: discover without ca_file: a discovered DC's certificate is " +
			"checked against the system's CAs, so a spoofed SRV answer naming a host with a public certificate would pass; " +
			"set ca_file to the domain's CA")
	}
	if cfg.Discover.on() && cfg.Discover.Scheme == "ldap" && !cfg.StartTLS {
		log.WithField("domain", cfg.Discover.Domain).Warn(
			"ldap: allow_insecure_ldap is set: the bind password and every entry cross the network in clear text")
	} else if u, err := url.Parse(cfg.URL); err == nil && u.Scheme == "ldap" && !cfg.StartTLS && !loopback.Host(u.Hostname()) {
		log.WithField("url", cfg.URL).Warn("ldap: allow_insecure_ldap is set: the bind password and every entry cross the network in clear text")
	}
	extra := append([]string{cfg.IDAttribute}, mapping.ChangeAttributes...) // a leaver's change time
	if *cfg.UseMemberOf {
		extra = append(extra, "memberOf")
	}
	groupExtra := []string{cfg.Groups.NameAttribute}
	if cfg.isAD() {
		groupExtra = append(groupExtra, "groupType") // group.scope and group.kind
	}
	if cfg.primaryGroups() {
		extra = append(extra, "objectSid", "primaryGroupID")
		groupExtra = append(groupExtra, "objectSid")
	}
	s.userAttrs = attrList(cfg.Users.Attributes, extra...)
	members := cfg.Groups.MemberAttributes
	if n := cfg.Groups.RangeSize; n > 0 {
		members = make([]string, len(cfg.Groups.MemberAttributes))
		for i, m := range cfg.Groups.MemberAttributes {
			members[i] = rangeOption(m, 0, n)
		}
	}
	s.groupAttrs = attrList(members, append(groupExtra, cfg.IDAttribute)...)
	s.nameKey = strings.ToLower(cfg.Groups.NameAttribute)
	for _, m := range cfg.Groups.MemberAttributes {
		s.memberKeys = append(s.memberKeys, strings.ToLower(m))
	}
	return s, nil
}

// Read calls fn once for each person entry in scope of the configured
// searches, with Groups resolved (member lists of the groups under
// groups.base_dn, nested groups, and memberOf when use_member_of is on).
// Each entry is the caller's: nothing else refers to it.
//
// Groups are read first, then people page by page; fn sees each entry as
// soon as it arrives (an entry with a ranged attribute, and the rest of its
// page, once the page ends), and the next page is asked for once fn has
// seen the page's entries. Any read problem (connection, bind, timeout, size
// or time limit, referral, ctx cancelled, server gone mid-read, an entry
// without the ID attribute) returns an error, and the caller must discard
// everything fn has seen. An error fn returns stops the read and is
// returned as it is.
func (s *Source) Read(ctx context.Context, fn func(mapping.Entry) error) error {
	start := time.Now()
	conn, closeConn, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer closeConn()
	conv := newConverter(s.cfg.IDAttribute)
	groups := mapping.NewGroups()
	var cache *groupCache
	if s.keep != nil {
		cache = newGroupCache()
	}
	refs := newRefLog()
	var prim *primaryIndex
	if s.cfg.primaryGroups() {
		prim = newPrimaryIndex()
	}
	if s.cfg.Groups.BaseDN != "" {
		err := s.readGroups(ctx, conn, conv, refs, func(g *cachedGroup, e mapping.Entry) {
			if cache != nil {
				cache.put(g)
			} else {
				groups.AddTyped(g.dn, g.name, g.typ, g.members)
			}
			if prim != nil {
				prim.add(e)
			}
		})
		if err != nil {
			return err
		}
	}
	if cache != nil {
		groups = cache.groups()
	}
	users, noPrimary := 0, map[string]int{}
	var fnErr error
	q := query{what: "users", base: s.cfg.Users.BaseDN, scope: s.scope(), filter: s.cfg.Users.Filter, attrs: s.userAttrs, refs: refs}
	pages, err := s.paged(ctx, conn, conv, q, func(entries []mapping.Entry) error {
		for _, e := range entries {
			if err := conv.setID(&e); err != nil {
				return fmt.Errorf("ldap: search users under %q: %w", q.base, err)
			}
			var memberOf []string
			if *s.cfg.UseMemberOf {
				memberOf = e.Attrs.Get("memberof")
			}
			if prim != nil {
				dn, err := prim.group(e)
				var miss *missingPrimaryError
				switch {
				case errors.As(err, &miss):
					noPrimary[miss.sid]++
				case err != nil:
					return fmt.Errorf("ldap: search users under %q: %w", q.base, err)
				case dn != "":
					memberOf = append(memberOf[:len(memberOf):len(memberOf)], dn)
					prim.use(dn)
				}
			}
			sidString(&e)
			e.Groups = groups.Of(e.DN, memberOf)
			if err := fn(e); err != nil {
				fnErr = err
				return err
			}
			users++
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return err
	}
	if cache != nil {
		s.keep.set(cache, prim)
	}
	refs.report(s.log)
	for sid, n := range noPrimary {
		s.log.WithFields(logrus.Fields{"group_sid": sid, "people": n}).Warn(
			"ldap: a primary group (primaryGroupID) is outside groups.base_dn: memberships through it are not seen; " +
				"widen groups.base_dn, or set ad.primary_groups = false")
	}
	s.log.WithFields(logrus.Fields{
		"users": users, "groups": groups.Len(), "pages": pages, "took": time.Since(start).Round(time.Millisecond),
	}).Info("ldap: read directory")
	return nil
}

// readGroups reads every group under groups.base_dn and calls add with
// each, as read and as an entry.
func (s *Source) readGroups(ctx context.Context, conn *ldap.Conn, conv *converter, refs *refLog, add func(*cachedGroup, mapping.Entry)) error {
	g := s.cfg.Groups
	q := query{what: "groups", base: g.BaseDN, scope: ldap.ScopeWholeSubtree, filter: g.Filter, attrs: s.groupAttrs, refs: refs}
	_, err := s.paged(ctx, conn, conv, q, func(entries []mapping.Entry) error {
		for _, e := range entries {
			add(s.group(conv, e), e)
		}
		return nil
	})
	return err
}

// group returns the group entry e: its DN, name, ID (empty when e has
// none), AD group type and member DNs.
func (s *Source) group(conv *converter, e mapping.Entry) *cachedGroup {
	g := &cachedGroup{dn: e.DN, typ: mapping.GroupTypeOf(e)}
	for _, k := range s.memberKeys {
		g.members = append(g.members, e.Attrs.Get(k)...)
	}
	if v := e.Attrs.Get(s.nameKey); len(v) > 0 {
		g.name = v[0]
	}
	if conv.setID(&e) == nil {
		g.id = e.ID
	}
	return g
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
	conn, closeConn, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer closeConn()
	base := s.cfg.Users.BaseDN
	res, err := conn.Search(ldap.NewSearchRequest(base, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"1.1"}, nil))
	if err == nil && len(res.Entries) != 1 {
		err = fmt.Errorf("got %d entries, want 1", len(res.Entries))
	}
	if err != nil {
		return s.ctxErr(ctx, fmt.Errorf("ldap: read users.base_dn %q: %w", base, searchErr(err)))
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
