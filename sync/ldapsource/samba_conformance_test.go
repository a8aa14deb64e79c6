package ldapsource

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
	"github.com/idsync/idsync/sync/ldif"
	"github.com/idsync/idsync/sync/sourcetest"
)

// loadFixture adds the suite's fixture to a Samba DC whose domain is the
// fixture's suffix (dc=example,dc=org; that entry exists already) and
// returns the fixture's entryUUID of each objectGUID Samba gave: AD makes
// its own GUIDs. AD names people by cn only: "uid=x," in DNs and member
// values becomes "CN=x," (entryUUIDSource turns it back). AD wants every
// member to exist: a group is added once its members are.
func loadFixture(t *testing.T, s *sambatest.Server, data string) (map[string]string, error) {
	t.Helper()
	c := s.Conn(t)
	ids := map[string]string{}
	type rec struct {
		req     *ldap.AddRequest
		id      string
		members []string
	}
	var pending []rec
	err := ldif.Parse(strings.NewReader(data), func(r ldif.Record) error {
		if strings.EqualFold(r.DN, sourcetest.BaseDN) {
			return nil
		}
		x := rec{req: ldap.NewAddRequest(uidToCN(r.DN), nil)}
		person := strings.HasPrefix(strings.ToLower(r.DN), "uid=")
		for _, a := range r.Attrs {
			switch {
			case strings.EqualFold(a.Name, "entryUUID"):
				x.id = a.Values[0]
			case person && strings.EqualFold(a.Name, "cn"):
				// AD's cn is the RDN value.
			case strings.EqualFold(a.Name, "member"), strings.EqualFold(a.Name, "uniqueMember"):
				vals := make([]string, len(a.Values))
				for i, v := range a.Values {
					vals[i] = uidToCN(v)
					x.members = append(x.members, mapping.NormalizeDN(vals[i]))
				}
				x.req.Attribute(a.Name, vals)
			default:
				x.req.Attribute(a.Name, a.Values)
			}
		}
		pending = append(pending, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	added := map[string]bool{}
	for len(pending) > 0 {
		var later []rec
		for _, x := range pending {
			ready := true
			for _, m := range x.members {
				ready = ready && added[m]
			}
			if !ready {
				later = append(later, x)
				continue
			}
			if err := c.Add(x.req); err != nil {
				return nil, fmt.Errorf("add %s: %w", x.req.DN, err)
			}
			added[mapping.NormalizeDN(x.req.DN)] = true
			if x.id == "" {
				continue
			}
			res, err := c.Search(ldap.NewSearchRequest(x.req.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
				"(objectClass=*)", []string{"objectGUID"}, nil))
			if err != nil || len(res.Entries) != 1 {
				return nil, fmt.Errorf("read back %s: %v", x.req.DN, err)
			}
			guid, err := formatGUID(res.Entries[0].GetRawAttributeValue("objectGUID"))
			if err != nil {
				return nil, err
			}
			ids[guid] = x.id
		}
		if len(later) == len(pending) {
			return nil, fmt.Errorf("%d groups have members that are not in the fixture", len(later))
		}
		pending = later
	}
	return ids, nil
}

func uidToCN(dn string) string {
	if strings.HasPrefix(strings.ToLower(dn), "uid=") {
		return "CN=" + dn[len("uid="):]
	}
	return dn
}

// entryUUIDSource hands the suite each entry as the fixture has it: the
// fixture's ID for the objectGUID Samba gave (ID and entryuuid), and a
// person's DN with its uid RDN.
type entryUUIDSource struct {
	src *Source
	ids map[string]string // objectGUID -> fixture entryUUID
}

func (s entryUUIDSource) Read(ctx context.Context, fn func(mapping.Entry) error) error {
	return s.src.Read(ctx, func(e mapping.Entry) error {
		id, ok := s.ids[e.ID]
		if !ok {
			return fmt.Errorf("entry %s: objectGUID %s not from the fixture", e.DN, e.ID)
		}
		e.ID = id
		e.Attrs.Set("entryuuid", []string{id})
		if uid := e.First("uid"); uid != "" && strings.HasPrefix(strings.ToLower(e.DN), "cn="+strings.ToLower(uid)+",") {
			e.DN = "uid=" + uid + e.DN[len("cn=")+len(uid):]
		}
		return fn(e)
	})
}

// TestConformanceSamba runs the source suite against a Samba AD DC with
// flavour = "ad": AD's person filter (the suite's account entry is not a
// person), nested groups and groupOfUniqueNames, pages of two. The suite
// only reads: one DC with the fixture serves every subtest.
func TestConformanceSamba(t *testing.T) {
	var (
		srv *sambatest.Server
		ids map[string]string
	)
	parent := t
	sourcetest.Run(t, func(t *testing.T, data string) sync.Source {
		if srv == nil {
			srv = sambatest.Start(parent)
			var err error
			if ids, err = loadFixture(parent, srv, data); err != nil {
				t.Fatalf("load the fixture into Samba: %v", err)
			}
		}
		cfg := adConfig(t, srv)
		cfg.Users.BaseDN, cfg.Groups.BaseDN = sourcetest.PeopleDN, sourcetest.GroupsDN
		cfg.Users.Filter = "(&(objectCategory=person)(objectClass=inetOrgPerson))"
		cfg.Groups.Filter = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))"
		cfg.Groups.MemberAttributes = []string{"member", "uniqueMember"}
		cfg.PageSize = 2
		return entryUUIDSource{src: newTestSource(t, cfg), ids: ids}
	})
}
