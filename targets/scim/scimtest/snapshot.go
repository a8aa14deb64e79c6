package scimtest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/idsync/idsync/targets"
)

// The server's own, deliberately separate, mapping between SCIM Users and
// targets.Account paths, for snapshots and seeding.

var (
	topAttrs        = []string{"displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone", "profileUrl"}
	nameAttrs       = []string{"formatted", "givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix"}
	enterpriseAttrs = []string{"employeeNumber", "costCenter", "organization", "division", "department"}
)

// toAccount flattens a stored user; an absent active counts as true.
func toAccount(data map[string]any) targets.Account {
	a := targets.Account{
		ID: str(get(data, "id")), UserName: str(get(data, "userName")), ExternalID: str(get(data, "externalId")),
		Active: get(data, "active") != false, Attrs: targets.Attrs{},
	}
	put := func(path string, v any) {
		if s := str(v); s != "" {
			a.Attrs.Set(path, s)
		}
	}
	for _, k := range topAttrs {
		put(k, get(data, k))
	}
	name, _ := get(data, "name").(map[string]any)
	for _, k := range nameAttrs {
		put("name."+k, get(name, k))
	}
	for _, multi := range []string{"emails", "phoneNumbers"} {
		list, _ := get(data, multi).([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			if t := strings.ToLower(str(get(m, "type"))); t != "" {
				put(multi+"."+t, get(m, "value"))
			}
		}
	}
	ext, _ := get(data, SchemaEnterprise).(map[string]any)
	for _, k := range enterpriseAttrs {
		put(k, get(ext, k))
	}
	return a
}

// fromAccount builds a SCIM User from an account, for seeding.
func fromAccount(a targets.Account) (map[string]any, error) {
	data := map[string]any{"userName": a.UserName, "active": a.Active}
	if a.ExternalID != "" {
		data["externalId"] = a.ExternalID
	}
	name, ext := map[string]any{}, map[string]any{}
	for _, at := range a.Attrs {
		p, v := at.Path, at.Value
		if v == "" {
			continue
		}
		head, sub, dotted := strings.Cut(p, ".")
		switch {
		case !dotted && contains2(topAttrs, p):
			data[p] = v
		case !dotted && contains2(enterpriseAttrs, p):
			ext[p] = v
		case head == "name" && contains2(nameAttrs, sub):
			name[sub] = v
		case head == "emails" || head == "phoneNumbers":
			list, _ := data[head].([]any)
			e := map[string]any{"type": sub, "value": v}
			if p == "emails.work" {
				e["primary"] = true
			}
			data[head] = append(list, e)
		default:
			return nil, fmt.Errorf("scimtest: unknown attribute path %q", p)
		}
	}
	if len(name) > 0 {
		data["name"] = name
	}
	if len(ext) > 0 {
		data[SchemaEnterprise] = ext
	}
	return data, nil
}

func contains2(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// SeedUser stores a user directly, bypassing HTTP, faults and counters
// (a hand-made account, e.g. an orphan), and returns its id.
func (s *Server) SeedUser(a targets.Account) (string, error) {
	data, err := fromAccount(a)
	if err != nil {
		return "", err
	}
	return s.SeedResource("User", data)
}

// SeedResource stores a raw SCIM resource of kind "User" or "Group"
// directly and returns its id. It may carry attributes idsync does not
// manage (addresses, custom extensions).
func (s *Server) SeedResource(kind string, data map[string]any) (string, error) {
	c := s.users
	if kind == "Group" {
		c = s.groups
	}
	id, _, herr := s.create(c, deepCopy(data).(map[string]any))
	if herr != nil {
		return "", herr
	}
	return id, nil
}

// SeedGroup stores a group with members directly and returns its id.
func (s *Server) SeedGroup(displayName string, members ...string) (string, error) {
	list := make([]any, 0, len(members))
	for _, m := range members {
		list = append(list, map[string]any{"value": m})
	}
	return s.SeedResource("Group", map[string]any{"displayName": displayName, "members": list})
}

// Users returns a snapshot of every user as an account, sorted by userName.
func (s *Server) Users() []targets.Account {
	s.mu.Lock()
	out := make([]targets.Account, 0, len(s.users.order))
	for _, r := range s.users.order {
		out = append(out, toAccount(r.data))
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].UserName < out[j].UserName })
	return out
}

// UserCount returns the number of users.
func (s *Server) UserCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users.order)
}

// User returns a copy of the stored SCIM User id, with meta.
func (s *Server) User(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users.byID[id]
	if !ok {
		return nil, false
	}
	return deepCopy(s.users.render(r)).(map[string]any), true
}

// Groups returns a snapshot of every group with sorted member ids, sorted
// by displayName.
func (s *Server) Groups() []targets.Group {
	s.mu.Lock()
	out := make([]targets.Group, 0, len(s.groups.order))
	for _, r := range s.groups.order {
		g := targets.Group{ID: r.id, DisplayName: str(get(r.data, "displayName"))}
		members, _ := get(r.data, "members").([]any)
		for _, m := range members {
			if v, ok := valueOf(m); ok {
				g.Members = append(g.Members, v)
			}
		}
		sort.Strings(g.Members)
		out = append(out, g)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].DisplayName < out[j].DisplayName })
	return out
}
