package sync

import (
	"slices"
	"sort"
	"strings"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/targets"
)

// roleNames returns every role the plan deals with: the rules' static roles,
// the roles people have, and the roles the state has groups for.
func (b *builder) roleNames() []string {
	set := map[string]bool{}
	for _, r := range b.in.StaticRoles {
		set[r] = true
	}
	for _, p := range b.people {
		for _, r := range p.p.Roles {
			set[r.Name] = true
		}
	}
	for r := range b.in.GroupIDs {
		set[r] = true
	}
	names := make([]string, 0, len(set))
	for r := range set {
		names = append(names, r)
	}
	sort.Strings(names)
	return names
}

// indexRoles finds the target group of every role (by the ID the state
// recorded, else by display name) and which roles each account has.
func (b *builder) indexRoles() {
	b.roleGroups = map[string]*targets.Group{}
	b.accountRoles = make(map[string][]string, len(b.in.Accounts))
	if b.in.Groups == nil {
		return
	}
	byID := map[string]*targets.Group{}
	byName := map[string]*targets.Group{}
	for i := range b.in.Groups {
		g := &b.in.Groups[i]
		byID[g.ID] = g
		byName[strings.ToLower(g.DisplayName)] = g
	}
	for _, role := range b.roleNames() {
		g := byID[b.in.GroupIDs[role]]
		if g == nil {
			g = byName[strings.ToLower(role)]
		}
		if g == nil {
			continue
		}
		b.roleGroups[role] = g
		for _, m := range g.Members {
			b.accountRoles[m] = append(b.accountRoles[m], role)
		}
	}
}

// roleDiff returns the roles p should have that account a (nil: none yet)
// lacks.
func (b *builder) roleDiff(p *person, a *targets.Account) []RoleChange {
	if b.in.Groups == nil || !p.wanted() {
		return nil
	}
	var out []RoleChange
	for _, r := range p.p.Roles {
		if a == nil || !slices.Contains(b.accountRoles[a.ID], r.Name) {
			out = append(out, RoleChange{Role: r.Name, Reason: r.Reason})
		}
	}
	return out
}

// roleLoss returns the roles account a has through idsync's groups that p
// should no longer have.
func (b *builder) roleLoss(p *person, a *targets.Account) []RoleChange {
	if b.in.Groups == nil || a == nil {
		return nil
	}
	var out []RoleChange
	for _, role := range b.accountRoles[a.ID] {
		if !p.wanted() || !hasRole(p.p.Roles, role) {
			why := "no rule gives this role any more"
			if !p.wanted() {
				why = "leaver"
			}
			out = append(out, RoleChange{Role: role, Reason: why})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Role < out[j].Role })
	return out
}

func hasRole(roles []mapping.Role, name string) bool {
	for _, r := range roles {
		if r.Name == name {
			return true
		}
	}
	return false
}

// planGroups plans, per role, the group to create or adopt and the members
// to add and remove. Only accounts idsync links or adopts are ever removed
// from a group: members someone added by hand who are not ours stay.
func (b *builder) planGroups() {
	want := map[string][]Member{}
	for _, p := range b.people {
		if !p.wanted() {
			continue
		}
		m := Member{SourceID: p.p.SourceID, UserName: p.p.Account.UserName}
		if p.account != nil {
			m.TargetID = p.account.ID
		}
		for _, r := range p.p.Roles {
			want[r.Name] = append(want[r.Name], m)
		}
	}
	for _, role := range b.roleNames() {
		g := b.roleGroups[role]
		gc := GroupChange{Role: role}
		have := map[string]bool{}
		switch {
		case g == nil && len(want[role]) == 0:
			continue
		case g == nil:
			gc.Create = true
		default:
			gc.GroupID = g.ID
			gc.Adopt = b.in.GroupIDs[role] != g.ID
			for _, id := range g.Members {
				have[id] = true
			}
		}
		keep := map[string]bool{}
		for _, m := range want[role] {
			if m.TargetID != "" {
				keep[m.TargetID] = true
			}
			if m.TargetID == "" || !have[m.TargetID] {
				gc.Add = append(gc.Add, m)
			}
		}
		if g != nil {
			for _, id := range g.Members {
				if b.claimed[id] && !keep[id] {
					gc.Remove = append(gc.Remove, Member{TargetID: id, UserName: b.byID[id].UserName})
				}
			}
		}
		sortMembers(gc.Add)
		sortMembers(gc.Remove)
		if gc.Create || gc.Adopt || len(gc.Add) > 0 || len(gc.Remove) > 0 {
			b.plan.Groups = append(b.plan.Groups, gc)
		}
	}
}

func sortMembers(ms []Member) {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].UserName != ms[j].UserName {
			return ms[i].UserName < ms[j].UserName
		}
		return ms[i].SourceID+ms[i].TargetID < ms[j].SourceID+ms[j].TargetID
	})
}

// finish sorts the changes and counts them.
func (b *builder) finish() {
	rank := map[Kind]int{}
	for i, k := range kindOrder {
		rank[k] = i
	}
	sort.SliceStable(b.plan.Changes, func(i, j int) bool {
		x, y := b.plan.Changes[i], b.plan.Changes[j]
		if x.Kind != y.Kind {
			return rank[x.Kind] < rank[y.Kind]
		}
		if x.UserName != y.UserName {
			return x.UserName < y.UserName
		}
		return x.SourceID+x.TargetID < y.SourceID+y.TargetID
	})
	s := &b.plan.Summary
	for _, c := range b.plan.Changes {
		switch c.Kind {
		case Joiner:
			s.Joiners++
		case Mover:
			s.Movers++
		case Leaver:
			s.Leavers++
		case Orphan:
			s.Orphans++
		case Adopt:
			s.Adopted++
		}
		switch c.Action {
		case Create:
			s.Creates++
		case Update:
			s.Updates++
		case Link:
			if len(c.Attrs) > 0 {
				s.Updates++
			}
		case Disable:
			s.Disables++
		case Delete:
			s.Deletes++
		}
	}
	for _, g := range b.plan.Groups {
		if g.Create {
			s.GroupsCreated++
		}
		s.MembersAdded += len(g.Add)
		s.MembersRemoved += len(g.Remove)
	}
	if len(b.plan.Warnings) > 0 {
		sort.Strings(b.plan.Warnings)
	}
}
