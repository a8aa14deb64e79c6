package sync

import (
	"fmt"
	"slices"
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
	// Rehire says how a new person may take over the disabled account of
	// a person gone from the source: RehireUserName (default, "" too),
	// RehireUserNameOrEmail, or RehireOff (the new person is a joiner and
	// a create refused for the userName stays refused).
	Rehire string
	// DeleteAfter, with Leavers "disable", deletes a leaver's account
	// once it has been disabled this long (stages.go); zero: never.
	DeleteAfter time.Duration
	// Protect lists the accounts idsync never changes (protect.go).
	Protect Protect
	// DisabledPeople is what becomes of people disabled in the source
	// who have no account: DisabledSkip (default, "" too) or
	// DisabledCreateInactive.
	DisabledPeople string
	// ProvisionBefore creates the account of a person whose start date
	// (mapping start_date) is this close, inactive and without roles; it
	// is activated on the day. Zero: created on the day.
	ProvisionBefore time.Duration
}

// What becomes of a person disabled in the source without an account.
const (
	DisabledSkip           = "skip"
	DisabledCreateInactive = "create-inactive"
)

// Rehire policies.
const (
	RehireUserName        = "username"
	RehireUserNameOrEmail = "username-or-email"
	RehireOff             = "off"
)

// Unmapped is a source person the rules could not map. Its account, if any,
// is left alone and the plan warns about it.
type Unmapped struct {
	SourceID, DN string
	Err          string
}

// Input is everything BuildPlan looks at.
type Input struct {
	Target string
	Now    time.Time
	// People are the source's people. BuildPlan reads an empty
	// Account.ExternalID as the SourceID, and Account.Active as true for
	// everyone wanted (as the mapping sets it). A joiner's After may point
	// at its person's Account, so People must not change while the plan is
	// used.
	People   []mapping.Person
	Unmapped []Unmapped
	Links    []state.PlanLink
	// Accounts are the target's accounts; a change's Before points at
	// one of them. Ignored when Listing is set.
	Accounts []targets.Account
	// Listing, when set, is the target's accounts in the form a run holds
	// them (see Listing), in place of Accounts: a change's Before is then
	// a copy of the listed account.
	Listing *Listing
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
	Rule func(key string) string
	// RuleKey returns the configuration key of a rule by key
	// ("target.gh.mapping.attributes.title"); nil: "mapping." + key.
	RuleKey func(key string) string
	Policy  Policy
	// Index is IndexTarget(Accounts, Groups, Links) (IndexListing of the
	// Listing when set), built ahead while the source is still being read,
	// or nil to have BuildPlan build it.
	// An index whose sizes do not match is ignored.
	Index *TargetIndex
	// PeopleIndex is IndexPeople(People), or nil to have BuildPlan build
	// it. An index of another number of people is ignored.
	PeopleIndex *PeopleIndex
	// ManagerLinks are the links of managers who are not among People
	// (an incremental run; see ManagerRefs), for the manager attribute
	// (manager.go). Their accounts are taken to exist.
	ManagerLinks []state.PlanLink
	// Deleted are the source IDs the source reported deleted from the
	// directory (Active Directory tombstones): a person linked under one of
	// them who is gone from the source leaves with the reason "deleted"
	// instead of "gone from the source". Nil for a full run.
	Deleted map[string]bool
	// GoneAt are Changes.GoneAt: when a watcher reported a source ID
	// deleted or gone out of scope. Nil for a full run.
	GoneAt map[string]time.Time
}

// PeopleIndex maps the source IDs of people to their indexes.
type PeopleIndex struct {
	n        int
	bySource map[string]int32
}

// IndexPeople indexes people by source ID for Input.PeopleIndex. Two
// people with one ID are an error naming both: the source's ID attribute
// is not unique, and linking either would be a guess.
func IndexPeople(people []mapping.Person) (*PeopleIndex, error) {
	x := NewPeopleIndex(len(people))
	if err := x.Add(people); err != nil {
		return nil, err
	}
	return x, nil
}

// NewPeopleIndex returns an empty index with room for about n people.
func NewPeopleIndex(n int) *PeopleIndex {
	return &PeopleIndex{bySource: make(map[string]int32, n)}
}

// Add indexes the people that people has beyond those already indexed:
// people[:x.Len()] must be the people indexed so far, in the same order.
// It lets a reader index each page as it comes. Two people with one ID are
// an error, as for IndexPeople.
func (x *PeopleIndex) Add(people []mapping.Person) error {
	if i, j := x.add(people); j >= 0 {
		return fmt.Errorf("%s and %s have the same ID %q; is id_attribute unique?", people[i].DN, people[j].DN, people[j].SourceID)
	}
	return nil
}

// Len returns the number of people indexed.
func (x *PeopleIndex) Len() int { return x.n }

// add indexes people[x.n:]; of two people with one ID the later wins. i
// and j are the first such pair, -1 when there is none.
func (x *PeopleIndex) add(people []mapping.Person) (i, j int) {
	i, j = -1, -1
	for k := x.n; k < len(people); k++ {
		// One map operation per person: a second ID shows as a map
		// that did not grow, and the rare pair is then looked for.
		id, n := people[k].SourceID, len(x.bySource)
		x.bySource[id] = int32(k)
		if len(x.bySource) == n && j < 0 {
			i, j = slices.IndexFunc(people[:k], func(p mapping.Person) bool { return p.SourceID == id }), k
		}
	}
	x.n = len(people)
	return i, j
}

// TargetIndex is what BuildPlan derives from the target and its links
// alone: the members of every group and the account of every link as
// account indexes. The map of accounts by ID it is built with is not kept:
// planning never looks an ID up again.
type TargetIndex struct {
	accounts, groups, links int       // the lengths indexed, to spot a mismatch
	members                 [][]int32 // by group index: the members that are accounts
	linked                  []int32   // by link index: its account, -1 when gone
}

// IndexTarget indexes accounts, groups and links for Input.Index.
func IndexTarget(accounts []targets.Account, groups []targets.Group, links []state.PlanLink) *TargetIndex {
	byID := make(map[string]int32, len(accounts))
	for i := range accounts {
		byID[accounts[i].ID] = int32(i)
	}
	return indexTarget(len(accounts), byID, groups, links)
}

// IndexListing indexes a listing, groups and links for Input.Index.
func IndexListing(l *Listing, groups []targets.Group, links []state.PlanLink) *TargetIndex {
	byID := make(map[string]int32, l.Len())
	for i := range l.accounts {
		byID[l.accounts[i].ID] = int32(i)
	}
	return indexTarget(l.Len(), byID, groups, links)
}

// indexTarget indexes groups and links given the n accounts by ID.
func indexTarget(n int, byID map[string]int32, groups []targets.Group, links []state.PlanLink) *TargetIndex {
	x := &TargetIndex{accounts: n, groups: len(groups), links: len(links)}
	x.linked = make([]int32, len(links))
	for i := range links {
		ai, ok := byID[links[i].TargetID]
		if !ok {
			ai = -1
		}
		x.linked[i] = ai
	}
	x.members = make([][]int32, len(groups))
	for gi := range groups {
		members := make([]int32, 0, len(groups[gi].Members))
		for _, m := range groups[gi].Members {
			if ai, ok := byID[m]; ok {
				members = append(members, ai)
			}
		}
		x.members[gi] = members
	}
	return x
}

// fits reports whether x indexes in's accounts (n of them), links and
// groups (or in has no groups, when the members go unused).
func (x *TargetIndex) fits(in *Input, n int) bool {
	return x != nil && x.accounts == n && x.links == len(in.Links) &&
		(in.Groups == nil || x.groups == len(in.Groups))
}

// person is a mapped source person with where it stands in the target.
type person struct {
	p        *mapping.Person
	link     *state.PlanLink
	acct     int32 // index of the linked or adopted account; -1 when none
	adoptWhy string
	// attrs, when set, are the desired attributes in place of the
	// mapped ones: with the manager resolved (manager.go).
	attrs targets.Attrs
}

// BuildPlan compares what the source wants with what the target has and
// returns the changes. It is pure: no I/O, one goroutine, nothing in its
// input is written to, and the same input always gives the same plan. The
// plan may share memory with the input (a joiner's After can be the
// person's own Account, a change's Before is the target's account), so
// the input must not change while the plan is used.
func BuildPlan(in Input) *Plan {
	b := newBuilder(in)
	x := in.Index
	if !x.fits(&in, b.list.Len()) {
		x = IndexListing(b.list, in.Groups, in.Links)
	}
	b.linked = x.linked
	b.indexRoles(x)
	b.indexPeople()
	b.linkPeople()
	b.correlate()
	b.plan.Changes = make([]Change, 0, b.estimate())
	b.classifyPeople()
	b.classifyGoneLinks()
	b.classifyOrphans()
	if in.Groups != nil {
		b.planGroups()
	}
	b.protect(x)
	b.finish()
	return b.plan
}

// builder holds the indexes BuildPlan works with. Accounts are referred to
// by their index in Input.Accounts, so that per-account facts are slices
// rather than maps keyed by ID: a plan of 100,000 people does a handful of
// map lookups per person, not dozens.
type builder struct {
	in   Input
	plan *Plan
	// list is the target's accounts: in.Listing, or a listing of
	// in.Accounts.
	list     *Listing
	linked   []int32          // by link: index in list, -1 when gone
	people   []person         // in.People, in order
	bySource map[string]int32 // source ID -> index in people
	claimed  []bool           // by account: linked or adopted
	nClaimed int
	// gone lists the links whose source ID no person has, by index.
	gone []int32
	// roles are every role the plan deals with, sorted; roleGroups maps
	// each to its group in the target, when it has one.
	roles      []string
	roleGroups map[string]*targets.Group
	// roleList holds, by account, the roles its groups give: account i's
	// are roleList[roleStart[i]:roleStart[i+1]].
	roleStart []int32
	roleList  []string
	// groupMembers lists the members of each role's group that are
	// accounts, by index.
	groupMembers map[*targets.Group][]int32
	// managed are the attribute paths compared, unique.
	managed []string
	// names maps account IDs to userNames, for the manager changes;
	// built on first use (manager_names.go).
	names map[string]string
}

func newBuilder(in Input) *builder {
	list := in.Listing
	if list == nil {
		list = ListingOf(in.Managed, in.Accounts)
	}
	b := &builder{
		in:      in,
		plan:    &Plan{Target: in.Target, Created: in.Now},
		list:    list,
		claimed: make([]bool, list.Len()),
		people:  make([]person, len(in.People)),
	}
	seen := map[string]bool{}
	for _, path := range in.Managed {
		if !seen[path] {
			seen[path] = true
			b.managed = append(b.managed, path)
		}
	}
	for _, u := range in.Unmapped {
		b.plan.Warnings = append(b.plan.Warnings,
			fmt.Sprintf("%s: could not map, its account is left alone: %s", u.DN, u.Err))
	}
	s := &b.plan.Summary
	s.SourcePeople = len(in.People) + len(in.Unmapped)
	s.TargetAccounts = list.Len()
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

// indexPeople fills people and bySource.
func (b *builder) indexPeople() {
	x := b.in.PeopleIndex
	if x == nil || x.n != len(b.in.People) {
		// A pure function of an input with two people of one ID: the later
		// wins (the runner refuses such a source before planning).
		x = NewPeopleIndex(len(b.in.People))
		x.add(b.in.People)
	}
	b.bySource = x.bySource
	for i := range b.in.People {
		b.people[i] = person{p: &b.in.People[i], acct: -1}
	}
}

// desired returns the account p should have: the mapped account, with the
// source ID for an empty externalId and active when p is wanted (as the
// mapping sets it). The input is never written to: this is a copy.
func (p *person) desired() targets.Account {
	a := withAttrs(p.p.Account, p.attrs)
	if a.ExternalID == "" {
		a.ExternalID = p.p.SourceID
	}
	a.Active = a.Active || p.wanted()
	return a
}

// after returns the account a joiner's create makes: the person's own
// Account when it is the desired one, else a copy.
func (p *person) after() *targets.Account {
	if a := &p.p.Account; a.ExternalID != "" && a.Active && p.attrs == nil {
		return a
	}
	a := p.desired()
	return &a
}

// linkPeople gives every linked person its link and, when the target
// still has it, its account, and lists the links of people gone from the
// source (gone). A person the rules could not map is still in the source:
// their link is in neither, and their account is left alone.
func (b *builder) linkPeople() {
	unmapped := make(map[string]bool, len(b.in.Unmapped))
	for _, u := range b.in.Unmapped {
		unmapped[u.SourceID] = true
	}
	for i := range b.in.Links {
		l := &b.in.Links[i]
		ai := b.linked[i]
		ok := ai >= 0
		if pi, found := b.bySource[l.SourceID]; found {
			p := &b.people[pi]
			p.link = l
			p.acct = ai
		} else if !unmapped[l.SourceID] {
			b.gone = append(b.gone, int32(i))
		}
		if ok {
			b.claim(ai)
		}
	}
	b.plan.Summary.Linked = b.nClaimed
}

// claim marks account i as linked or adopted.
func (b *builder) claim(i int32) {
	if !b.claimed[i] {
		b.claimed[i] = true
		b.nClaimed++
	}
}

// estimate returns how many changes the plan will have at least: every
// joiner, adoption, leaver and orphan (movers are counted as found), so the
// list of a first run's 100,000 joiners is allocated once.
func (b *builder) estimate() int {
	n := b.list.Len() - b.nClaimed // orphans
	for i := range b.people {
		p := &b.people[i]
		if p.wanted() && (p.acct < 0 || p.link == nil || p.link.TargetID != b.list.ID(p.acct)) || !p.wanted() && p.link != nil {
			n++
		}
	}
	return n + len(b.gone)
}

func (p *person) wanted() bool { return p.p.InScope && !p.p.Disabled }

// correlates reports whether p, without an account, is looked for among
// the unlinked accounts: a wanted person, or one whose account would be
// created inactive (disabled_people = create-inactive, or ahead of a start
// date), whose existing account is adopted rather than created again.
func (b *builder) correlates(p *person) bool {
	return p.wanted() || b.createInactive(p)
}

// correlate links unlinked people who should have an account to unlinked
// target accounts, in passes from the strongest match to the weakest, so a
// weak match never takes an account another person matches strongly.
func (b *builder) correlate() {
	pending := 0
	for i := range b.people {
		if p := &b.people[i]; p.acct < 0 && b.correlates(p) {
			pending++
		}
	}
	if pending == 0 || b.nClaimed == b.list.Len() {
		return // everyone is linked, or nothing is free to adopt
	}
	passes := []struct {
		what string
		key  func(i int32) string
		want func(p *person) string
	}{
		{"externalId", b.list.ExternalID,
			func(p *person) string { return p.desired().ExternalID }},
		{"userName", b.list.UserName,
			func(p *person) string { return p.p.Account.UserName }},
		{"primary e-mail", func(i int32) string { return b.list.Attr(i, "emails.work") },
			func(p *person) string { return p.p.Account.Attrs.Get("emails.work") }},
	}
	for _, pass := range passes {
		index := map[string][]int32{}
		for i := range int32(b.list.Len()) {
			if k := strings.ToLower(pass.key(i)); k != "" && !b.claimed[i] {
				index[k] = append(index[k], i)
			}
		}
		for i := range b.people {
			p := &b.people[i]
			if p.acct >= 0 || !b.correlates(p) {
				continue
			}
			v := pass.want(p)
			found := index[strings.ToLower(v)]
			if v == "" || len(found) == 0 {
				continue
			}
			if len(found) > 1 {
				b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf(
					"%s: %d target accounts match %s %q; not adopting any", p.p.DN, len(found), pass.what, v))
				continue
			}
			ai := found[0]
			if b.claimed[ai] {
				continue
			}
			b.claim(ai)
			p.acct = ai
			p.adoptWhy = fmt.Sprintf("unlinked target account %s matches %s %q", b.list.ID(ai), pass.what, v)
		}
	}
}
