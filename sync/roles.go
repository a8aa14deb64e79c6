package sync

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/targets"
)

// roleNames returns every role the plan deals with, sorted: the rules'
// static roles, the roles people have, and the roles the state has groups
// for.
func (b *builder) roleNames() []string {
	set := map[string]bool{}
	for _, r := range b.in.StaticRoles {
		set[r] = true
	}
	for i := range b.in.People {
		for _, r := range b.in.People[i].Roles {
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
func (b *builder) indexRoles(x *TargetIndex) {
	b.roleGroups = map[string]*targets.Group{}
	if b.in.Groups == nil {
		return
	}
	b.roles = b.roleNames()
	b.groupMembers = map[*targets.Group][]int32{}
	byID := map[string]int{}
	byName := map[string]int{}
	for i := range b.in.Groups {
		g := &b.in.Groups[i]
		byID[g.ID] = i
		byName[strings.ToLower(g.DisplayName)] = i
	}
	for _, role := range b.roles {
		gi, ok := byID[b.in.GroupIDs[role]]
		if !ok {
			gi, ok = byName[strings.ToLower(role)]
		}
		if !ok {
			continue
		}
		g := &b.in.Groups[gi]
		b.roleGroups[role] = g
		b.groupMembers[g] = x.members[gi]
	}
	b.indexAccountRoles()
}

// indexAccountRoles lists the roles of every account, in role order, in
// one slice: a target's hundreds of thousands of memberships are counted
// first and then placed, rather than appended to a slice per account.
func (b *builder) indexAccountRoles() {
	b.roleStart = make([]int32, b.list.Len()+1)
	for _, g := range b.roleGroups {
		for _, ai := range b.groupMembers[g] {
			b.roleStart[ai+1]++
		}
	}
	for i := 1; i < len(b.roleStart); i++ {
		b.roleStart[i] += b.roleStart[i-1]
	}
	b.roleList = make([]string, b.roleStart[b.list.Len()])
	next := slices.Clone(b.roleStart[:b.list.Len()])
	for _, role := range b.roles {
		if g := b.roleGroups[role]; g != nil {
			for _, ai := range b.groupMembers[g] {
				b.roleList[next[ai]] = role
				next[ai]++
			}
		}
	}
}

// rolesOf returns the roles account ai (-1: none) has through groups.
func (b *builder) rolesOf(ai int32) []string {
	if ai < 0 || b.roleStart == nil {
		return nil
	}
	return b.roleList[b.roleStart[ai]:b.roleStart[ai+1]:b.roleStart[ai+1]]
}

// roleDiff returns the roles p should have that account ai (-1: none yet)
// lacks.
func (b *builder) roleDiff(p *person, ai int32) []RoleChange {
	if b.in.Groups == nil || !p.wanted() {
		return nil
	}
	have := b.rolesOf(ai)
	var out []RoleChange
	if len(have) == 0 && len(p.p.Roles) > 0 {
		out = make([]RoleChange, 0, len(p.p.Roles)) // a joiner gains them all
	}
	for _, r := range p.p.Roles {
		if !slices.Contains(have, r.Name) {
			out = append(out, RoleChange{Role: r.Name, Reason: r.Reason})
		}
	}
	return out
}

// roleLoss returns the roles account ai (-1: none) has through idsync's
// groups that p should no longer have.
func (b *builder) roleLoss(p *person, ai int32) []RoleChange {
	if b.in.Groups == nil || ai < 0 {
		return nil
	}
	var out []RoleChange
	for _, role := range b.rolesOf(ai) {
		if !p.wanted() || !hasRole(p.p.Roles, role) {
			why := "no rule gives this role any more"
			if !p.wanted() {
				why = "leaver"
			}
			out = append(out, RoleChange{Role: role, Reason: why})
		}
	}
	if len(out) > 1 {
		sort.Slice(out, func(i, j int) bool { return out[i].Role < out[j].Role })
	}
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
	index := make(map[string]int, len(b.roles))
	for i, r := range b.roles {
		index[r] = i
	}
	// want lists, by role, the people who should be in its group: counted
	// first, so that each list is allocated once.
	counts := make([]int, len(b.roles))
	for i := range b.people {
		if p := &b.people[i]; p.wanted() {
			for _, r := range p.p.Roles {
				counts[index[r.Name]]++
			}
		}
	}
	want := make([][]int32, len(b.roles))
	for i, n := range counts {
		want[i] = make([]int32, 0, n)
	}
	for i := range b.people {
		if p := &b.people[i]; p.wanted() {
			for _, r := range p.p.Roles {
				k := index[r.Name]
				want[k] = append(want[k], int32(i))
			}
		}
	}
	have := make([]int32, b.list.Len())
	keep := make([]int32, b.list.Len())
	for k, role := range b.roles {
		if gc, ok := b.planRole(k, role, want[k], have, keep); ok {
			b.plan.Groups = append(b.plan.Groups, gc)
		}
	}
}

// planRole plans the group of role, the k-th of b.roles, given the
// people who want it. have and keep mark accounts, by index, with k+1: the
// members the group has, and those it keeps. They are shared by every
// role (no map per group); ok is false when the group needs no change.
func (b *builder) planRole(k int, role string, want []int32, have, keep []int32) (gc GroupChange, ok bool) {
	mark := int32(k + 1)
	g := b.roleGroups[role]
	gc.Role = role
	switch {
	case g == nil && len(want) == 0:
		return gc, false
	case g == nil:
		gc.Create = true
	default:
		gc.GroupID = g.ID
		gc.Adopt = b.in.GroupIDs[role] != g.ID
		for _, ai := range b.groupMembers[g] {
			have[ai] = mark
		}
	}
	for _, pi := range want {
		p := &b.people[pi]
		if p.acct >= 0 {
			keep[p.acct] = mark
			if have[p.acct] == mark {
				continue
			}
		}
		m := Member{SourceID: p.p.SourceID, UserName: p.p.Account.UserName}
		if p.acct >= 0 {
			m.TargetID = b.list.ID(p.acct)
		}
		if gc.Add == nil {
			gc.Add = make([]Member, 0, len(want))
		}
		gc.Add = append(gc.Add, m)
	}
	if g != nil {
		for _, ai := range b.groupMembers[g] {
			if b.claimed[ai] && keep[ai] != mark {
				gc.Remove = append(gc.Remove, Member{TargetID: b.list.ID(ai), UserName: b.list.UserName(ai)})
			}
		}
	}
	sortMembers(gc.Add)
	sortMembers(gc.Remove)
	return gc, gc.Create || gc.Adopt || len(gc.Add) > 0 || len(gc.Remove) > 0
}

// sortMembers orders members by compareMembers.
func sortMembers(ms []Member) { slices.SortFunc(ms, compareMembers) }

// compareMembers orders by userName, source ID and target ID, the order of
// members and, within a kind, of changes. The later keys are compared
// only on a tie: a group of 100,000 members is sorted with one string
// comparison per step, not three.
func compareMembers(x, y Member) int {
	if c := strings.Compare(x.UserName, y.UserName); c != 0 {
		return c
	}
	if c := strings.Compare(x.SourceID, y.SourceID); c != 0 {
		return c
	}
	return strings.Compare(x.TargetID, y.TargetID)
}

// finish sorts the changes and counts them.
func (b *builder) finish() {
	b.sortChanges()
	recount(b.plan)
	if len(b.plan.Warnings) > 0 {
		sort.Strings(b.plan.Warnings)
	}
}

// sortChanges orders the changes by kind (kindOrder), then userName, source
// ID and target ID. It sorts indexes, then moves each change once, in place: a Change
// is too large to swap around a hundred thousand times.
func (b *builder) sortChanges() {
	cs := b.plan.Changes
	rank := make([]int8, len(cs))
	for i := range cs {
		rank[i] = int8(slices.Index(kindOrder, cs[i].Kind))
	}
	order := make([]int32, len(cs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(i, j int32) int {
		if rank[i] != rank[j] {
			return cmp.Compare(rank[i], rank[j])
		}
		x, y := &cs[i], &cs[j]
		return compareMembers(Member{SourceID: x.SourceID, TargetID: x.TargetID, UserName: x.UserName},
			Member{SourceID: y.SourceID, TargetID: y.TargetID, UserName: y.UserName})
	})
	// Put cs[order[i]] at i, cycle by cycle, in place.
	for i := range order {
		if order[i] < 0 {
			continue
		}
		tmp := cs[i]
		j := i
		for {
			k := int(order[j])
			order[j] = -1
			if k == i {
				cs[j] = tmp
				break
			}
			cs[j] = cs[k]
			j = k
		}
	}
}
