package sync

import (
	"slices"
	"strings"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// PlanInputs is what one target's plan was built from, as Options.Inspect
// sees it: the mapped people, the target's accounts and groups as listed,
// the links and the group IDs the state recorded. It is read-only and valid
// during the Inspect call only.
type PlanInputs struct {
	people   []mapping.Person
	pindex   *PeopleIndex
	accounts *Listing
	groups   []targets.Group // without Members: see index
	links    []state.PlanLink
	groupIDs map[string]string
	index    *TargetIndex
	roles    []string // the rules' static roles
	// limit, when set, applies the target's group size limit to a plan
	// (SavedPlan.Filter: to the approved changes); nil when the plan was
	// limited already.
	limit func(*Plan)

	linkBySource map[string]int32
	linkByTarget map[string]int32
	byID         map[string]int32 // account ID -> index in accounts
	groupsOf     [][]int32        // by account index: its groups' indexes
}

// newPlanInputs returns the inputs of a plan built from src and v.
func newPlanInputs(src source, v *targetView, staticRoles []string) *PlanInputs {
	return &PlanInputs{people: src.people, pindex: src.index, accounts: v.accounts, groups: v.groups,
		links: v.links, groupIDs: v.groupIDs, index: v.index, roles: staticRoles}
}

// NewPlanInputs returns the inputs BuildPlan(in) works from, for tests and
// tools that build plans themselves.
func NewPlanInputs(in Input) *PlanInputs {
	list := in.Listing
	if list == nil {
		list = ListingOf(in.Managed, in.Accounts)
	}
	x := in.Index
	if !x.fits(&in, list.Len()) {
		x = IndexListing(list, in.Groups, in.Links)
	}
	px := in.PeopleIndex
	if px == nil || px.Len() != len(in.People) {
		px = NewPeopleIndex(len(in.People))
		px.add(in.People)
	}
	return &PlanInputs{people: in.People, pindex: px, accounts: list, groups: in.Groups,
		links: in.Links, groupIDs: in.GroupIDs, index: x, roles: in.StaticRoles}
}

// Person returns the mapped source person with the source ID, nil when
// the source has none.
func (in *PlanInputs) Person(sourceID string) *mapping.Person {
	if sourceID == "" || in.pindex == nil {
		return nil
	}
	if i, ok := in.pindex.bySource[sourceID]; ok {
		return &in.people[i]
	}
	return nil
}

// Account returns the target account with the ID as listed, nil when the
// listing has none.
func (in *PlanInputs) Account(targetID string) *targets.Account {
	if i, ok := in.accountIndex(targetID); ok {
		return in.accounts.Account(i)
	}
	return nil
}

// accountIndex returns the index of the account with the ID.
func (in *PlanInputs) accountIndex(targetID string) (int32, bool) {
	if in.byID == nil {
		in.byID = make(map[string]int32, in.accounts.Len())
		for i := range int32(in.accounts.Len()) {
			in.byID[in.accounts.ID(i)] = i
		}
	}
	i, ok := in.byID[targetID]
	return i, ok
}

// Link returns the state's link of the source ID, nil when none.
func (in *PlanInputs) Link(sourceID string) *state.PlanLink {
	if sourceID == "" {
		return nil
	}
	if in.linkBySource == nil {
		in.linkBySource = make(map[string]int32, len(in.links))
		for i := range in.links {
			in.linkBySource[in.links[i].SourceID] = int32(i)
		}
	}
	if i, ok := in.linkBySource[sourceID]; ok {
		return &in.links[i]
	}
	return nil
}

// LinkOf returns the state's link to the target account ID, nil when none.
func (in *PlanInputs) LinkOf(targetID string) *state.PlanLink {
	if in.linkByTarget == nil {
		in.linkByTarget = make(map[string]int32, len(in.links))
		for i := range in.links {
			in.linkByTarget[in.links[i].TargetID] = int32(i)
		}
	}
	if i, ok := in.linkByTarget[targetID]; ok {
		return &in.links[i]
	}
	return nil
}

// GroupIDs returns the IDs of the target groups the account is a member
// of, sorted; none when the target manages no groups.
func (in *PlanInputs) GroupIDs(targetID string) []string {
	gs := in.groupsOfAccount(targetID)
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	slices.Sort(ids)
	return ids
}

// groupsOfAccount returns the groups the account is a member of, in
// listing order, without their members.
func (in *PlanInputs) groupsOfAccount(targetID string) []*targets.Group {
	ai, ok := in.accountIndex(targetID)
	if !ok || len(in.groups) == 0 || len(in.index.members) != len(in.groups) {
		return nil
	}
	if in.groupsOf == nil {
		in.groupsOf = make([][]int32, in.accounts.Len())
		for gi, ms := range in.index.members {
			for _, m := range ms {
				in.groupsOf[m] = append(in.groupsOf[m], int32(gi))
			}
		}
	}
	out := make([]*targets.Group, 0, len(in.groupsOf[ai]))
	for _, gi := range in.groupsOf[ai] {
		out = append(out, &in.groups[gi])
	}
	return out
}

// RoleGroup is a role and the target group that holds it, as planning
// finds it: by the group ID the state recorded, else by display name.
type RoleGroup struct {
	Role  string
	Group *targets.Group // without Members; nil when the target has none yet
	// Members are the accounts in the group, in listing order.
	Members []*targets.Account
}

// RoleGroups returns every role planning deals with (the rules' static
// roles, the roles people have and the roles the state has a group for),
// sorted, each with its group and members.
func (in *PlanInputs) RoleGroups() []RoleGroup {
	set := map[string]bool{}
	for _, r := range in.roles {
		set[r] = true
	}
	for i := range in.people {
		for _, r := range in.people[i].Roles {
			set[r.Name] = true
		}
	}
	for r := range in.groupIDs {
		set[r] = true
	}
	byID, byName := map[string]int{}, map[string]int{}
	for i := range in.groups {
		byID[in.groups[i].ID] = i
		byName[strings.ToLower(in.groups[i].DisplayName)] = i
	}
	out := make([]RoleGroup, 0, len(set))
	for role := range set {
		rg := RoleGroup{Role: role}
		gi, ok := byID[in.groupIDs[role]]
		if !ok {
			gi, ok = byName[strings.ToLower(role)]
		}
		if ok && len(in.index.members) == len(in.groups) {
			rg.Group = &in.groups[gi]
			for _, ai := range in.index.members[gi] {
				rg.Members = append(rg.Members, in.accounts.Account(ai))
			}
		}
		out = append(out, rg)
	}
	slices.SortFunc(out, func(a, b RoleGroup) int { return strings.Compare(a.Role, b.Role) })
	return out
}

// PersonOf returns the person linked to the target account ID, nil when
// the account is not linked or the person is not in the source.
func (in *PlanInputs) PersonOf(targetID string) *mapping.Person {
	if l := in.LinkOf(targetID); l != nil {
		return in.Person(l.SourceID)
	}
	return nil
}
