package sync

import (
	"fmt"
	"strings"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// Policy says what a target does with leavers and orphans.
type Policy struct {
	// Leavers is "disable" (default) or "delete".
	Leavers string
	// Orphans is "report" (default), "disable" or "delete".
	Orphans string
}

// Unmapped is a source person the rules could not map. Its account, if any,
// is left alone and the plan warns about it.
type Unmapped struct {
	SourceID, DN string
	Err          string
}

// Input is everything BuildPlan looks at.
type Input struct {
	Target   string
	Now      time.Time
	People   []mapping.Person
	Unmapped []Unmapped
	Links    []state.Link
	Accounts []targets.Account
	// Groups are the target's groups; nil when the target does not manage
	// groups, in which case roles are not planned.
	Groups []targets.Group
	// GroupIDs maps role names to the group IDs recorded in the state.
	GroupIDs map[string]string
	// StaticRoles are the role names the rules can produce.
	StaticRoles []string
	// Managed lists the attribute paths the rules map; only those are
	// compared and sent.
	Managed []string
	// Rule returns the text of a mapping rule by key ("attributes.title");
	// may be nil.
	Rule   func(key string) string
	Policy Policy
}

// person is a mapped source person with where it stands in the target.
type person struct {
	p        *mapping.Person
	link     *state.Link
	account  *targets.Account // linked or adopted account
	adoptWhy string
}

// BuildPlan compares what the source wants with what the target has and
// returns the changes. It is pure: no I/O, and the same input always gives
// the same plan.
func BuildPlan(in Input) *Plan {
	b := newBuilder(in)
	b.correlate()
	b.indexRoles()
	b.classifyPeople()
	b.classifyGoneLinks()
	b.classifyOrphans()
	if in.Groups != nil {
		b.planGroups()
	}
	b.finish()
	return b.plan
}

type builder struct {
	in       Input
	plan     *Plan
	byID     map[string]*targets.Account // target ID -> account
	people   []*person
	bySource map[string]*person
	claimed  map[string]bool // target IDs linked or adopted
	// roleGroups maps each role to its group in the target, when it has one.
	roleGroups map[string]*targets.Group
	// accountRoles maps target account IDs to the roles their groups give.
	accountRoles map[string][]string
	// managed are the attribute paths compared, unique.
	managed []string
}

func newBuilder(in Input) *builder {
	b := &builder{
		in:       in,
		plan:     &Plan{Target: in.Target, Created: in.Now, Changes: []Change{}},
		byID:     make(map[string]*targets.Account, len(in.Accounts)),
		bySource: make(map[string]*person, len(in.People)),
		claimed:  make(map[string]bool, len(in.Links)),
	}
	for i := range in.Accounts {
		b.byID[in.Accounts[i].ID] = &in.Accounts[i]
	}
	seen := map[string]bool{}
	for _, path := range in.Managed {
		if !seen[path] {
			seen[path] = true
			b.managed = append(b.managed, path)
		}
	}
	b.people = make([]*person, 0, len(in.People))
	for i := range in.People {
		p := &person{p: &in.People[i]}
		if p.p.Account.ExternalID == "" {
			p.p.Account.ExternalID = p.p.SourceID
		}
		b.people = append(b.people, p)
		b.bySource[p.p.SourceID] = p
	}
	for i := range in.Links {
		l := &in.Links[i]
		if p := b.bySource[l.SourceID]; p != nil {
			p.link = l
			if a := b.byID[l.TargetID]; a != nil {
				p.account = a
			}
		}
		if b.byID[l.TargetID] != nil {
			b.claimed[l.TargetID] = true
		}
	}
	for _, u := range in.Unmapped {
		b.plan.Warnings = append(b.plan.Warnings,
			fmt.Sprintf("%s: could not map, its account is left alone: %s", u.DN, u.Err))
	}
	s := &b.plan.Summary
	s.SourcePeople = len(in.People) + len(in.Unmapped)
	s.TargetAccounts = len(in.Accounts)
	s.Linked = len(b.claimed)
	for _, p := range in.People {
		if p.InScope {
			s.InScope++
			if p.Disabled {
				s.Disabled++
			}
		}
	}
	return b
}

func (p *person) wanted() bool { return p.p.InScope && !p.p.Disabled }

// correlate links unlinked people who should have an account to unlinked
// target accounts, in passes from the strongest match to the weakest, so a
// weak match never takes an account another person matches strongly.
func (b *builder) correlate() {
	pending := 0
	for _, p := range b.people {
		if p.account == nil && p.wanted() {
			pending++
		}
	}
	if pending == 0 || len(b.claimed) == len(b.in.Accounts) {
		return // everyone is linked, or nothing is free to adopt
	}
	passes := []struct {
		what string
		key  func(a targets.Account) string
		want func(p *mapping.Person) string
	}{
		{"externalId", func(a targets.Account) string { return a.ExternalID },
			func(p *mapping.Person) string { return p.Account.ExternalID }},
		{"userName", func(a targets.Account) string { return a.UserName },
			func(p *mapping.Person) string { return p.Account.UserName }},
		{"primary e-mail", func(a targets.Account) string { return a.Attrs["emails.work"] },
			func(p *mapping.Person) string { return p.Account.Attrs["emails.work"] }},
	}
	for _, pass := range passes {
		index := map[string][]*targets.Account{}
		for i := range b.in.Accounts {
			a := &b.in.Accounts[i]
			if k := strings.ToLower(pass.key(*a)); k != "" && !b.claimed[a.ID] {
				index[k] = append(index[k], a)
			}
		}
		for _, p := range b.people {
			if p.account != nil || !p.wanted() {
				continue
			}
			v := pass.want(p.p)
			found := index[strings.ToLower(v)]
			if v == "" || len(found) == 0 {
				continue
			}
			if len(found) > 1 {
				b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf(
					"%s: %d target accounts match %s %q; not adopting any", p.p.DN, len(found), pass.what, v))
				continue
			}
			a := found[0]
			if b.claimed[a.ID] {
				continue
			}
			b.claimed[a.ID] = true
			p.account = a
			p.adoptWhy = fmt.Sprintf("unlinked target account %s matches %s %q", a.ID, pass.what, v)
		}
	}
}
