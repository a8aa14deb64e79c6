package sync

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/targets"
)

// classifyPeople plans every source person: joiners, movers, adoptions and
// leavers for people who left scope or were disabled.
func (b *builder) classifyPeople() {
	b.matchRehires()
	b.resolveManagers()
	out := changeList{list: b.plan.Changes}
	b.classifyRange(&out, b.people)
	b.plan.Changes = out.list
	b.plan.Summary.Unchanged += out.unchanged
	b.plan.Summary.Rehires += out.rehires
}

// matchRehires finds the people who take over the disabled account of a
// person gone from the source: a wanted person without an account whose
// userName (or else, with Policy.Rehire RehireUserNameOrEmail, primary
// e-mail) is that of exactly one such account,
// and no other such person's. userName is matched first for everyone, so
// an e-mail match never takes an account another person matches by
// userName; an account two people match equally is taken by neither (a
// warning says so, and both are planned as joiners). The person is given
// the account and the old link (whose source ID differs from theirs:
// classifyRange plans a rehire), and the gone link is no longer planned as
// a leaver.
func (b *builder) matchRehires() {
	type pass struct {
		what string
		path string // of the key, in the account and in the person's
	}
	var passes []pass
	switch b.in.Policy.Rehire {
	case RehireOff:
		return
	case RehireUserNameOrEmail:
		passes = []pass{{"userName", "userName"}, {"primary e-mail", "emails.work"}}
	default:
		passes = []pass{{"userName", "userName"}}
	}
	taken := map[int32]bool{} // by link
	for _, pass := range passes {
		b.matchRehirePass(pass.what, pass.path, taken)
	}
	if len(taken) == 0 {
		return
	}
	gone := b.gone[:0:0]
	for _, li := range b.gone {
		if !taken[li] {
			gone = append(gone, li)
		}
	}
	b.gone = gone
}

// matchRehirePass is one pass of matchRehires, on the attribute path (of
// the account, and of the person's desired one); taken holds the links
// already taken over.
func (b *builder) matchRehirePass(what, path string, taken map[int32]bool) {
	type cand struct{ link, acct int32 }
	index := map[string][]cand{}
	for _, li := range b.gone {
		ai := b.linked[li]
		if ai < 0 || b.list.Active(ai) || taken[li] {
			continue
		}
		if k := strings.ToLower(b.list.Attr(ai, path)); k != "" {
			index[k] = append(index[k], cand{li, ai})
		}
	}
	if len(index) == 0 {
		return
	}
	claims := map[int32][]*person{} // by link
	for i := range b.people {
		p := &b.people[i]
		if p.acct >= 0 || p.link != nil || !p.wanted() {
			continue
		}
		if found := index[strings.ToLower(p.p.Account.Attr(path))]; len(found) == 1 {
			claims[found[0].link] = append(claims[found[0].link], p)
		}
	}
	for _, li := range b.gone { // in link order: the plan does not depend on map order
		ps := claims[li]
		switch {
		case len(ps) == 1:
			ai := b.linked[li]
			taken[li] = true
			ps[0].link, ps[0].acct = &b.in.Links[li], ai
		case len(ps) > 1:
			b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf(
				"%d new people match the %s of the disabled account %s of %s, gone from the source; none takes it over",
				len(ps), what, b.list.ID(b.linked[li]), b.in.Links[li].SourceID))
		}
	}
}

// changeList collects the planned changes, and counts what is only counted.
type changeList struct {
	list      []Change
	unchanged int // movers with nothing to change
	rehires   int
}

func (l *changeList) add(c Change) { l.list = append(l.list, c) }

// joinerReasons is the reason of every joiner new to the target. Changes
// share it: nothing writes into it, and appending copies it (its capacity
// is its length).
var joinerReasons = []string{"in scope and no account linked yet"}

func (b *builder) classifyRange(out *changeList, people []person) {
	for i := range people {
		p := &people[i]
		switch {
		case p.wanted() && p.acct < 0:
			b.joiner(out, p)
		case p.wanted() && p.link != nil && p.link.SourceID != p.p.SourceID:
			b.rehire(out, p)
		case p.wanted() && p.link == nil || p.wanted() && p.link.TargetID != b.list.ID(p.acct):
			b.adopt(out, p)
		case p.wanted():
			b.mover(out, p)
		case p.link != nil:
			b.leaver(out, p, cmp.Or(b.dateReason(p), p.leaveReason(b.rule)), time.Time{})
		case p.acct >= 0: // correlated: its account is adopted, inactive
			b.inactiveAdopt(out, p)
		case b.createInactive(p):
			b.inactiveJoiner(out, p)
		}
	}
}

func (b *builder) rule(key string) string {
	if b.in.Rule == nil {
		return ""
	}
	if r := b.in.Rule(key); r != "" {
		if b.in.RuleKey != nil {
			return b.in.RuleKey(key) + " = " + r
		}
		return "mapping." + key + " = " + r
	}
	return ""
}

func (p *person) leaveReason(rule func(string) string) string {
	if !p.p.InScope && p.p.ScopeRule != "" {
		return withRule("out of this target's scope", rule(p.p.ScopeRule))
	}
	if !p.p.InScope {
		return withRule("out of scope", rule("scope"))
	}
	if p.p.DisabledReason != "" {
		return p.p.DisabledReason
	}
	return withRule("disabled in the source", rule("disabled"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func withRule(s, rule string) string {
	if rule == "" {
		return s
	}
	return s + " (" + rule + ")"
}

func (b *builder) joiner(out *changeList, p *person) {
	// The desired account itself: a first plan has one joiner per person,
	// and nothing changes either once planned.
	after := p.after()
	reasons := joinerReasons
	if p.link != nil {
		reasons = []string{fmt.Sprintf("linked account %s is gone from the target; creating it again", p.link.TargetID)}
	}
	c := Change{Kind: Joiner, Action: Create, SourceID: p.p.SourceID, DN: p.p.DN,
		UserName: after.UserName, After: after, Reasons: reasons}
	c.RolesAdded = b.roleDiff(p, -1)
	out.add(c)
}

func (b *builder) adopt(out *changeList, p *person) {
	a := b.list.Account(p.acct)
	want := p.desired()
	after := b.merge(*a, want)
	c := Change{Kind: Adopt, Action: Link, SourceID: p.p.SourceID, DN: p.p.DN, TargetID: a.ID,
		UserName: after.UserName, Before: a, After: &after, Reasons: []string{p.adoptWhy}}
	c.Attrs = b.attrDiff(p.acct, want)
	c.RolesAdded, c.RolesRemoved = b.roleDiff(p, p.acct), b.roleLoss(p, p.acct)
	out.add(c)
}

// rehire plans a new person taking over the disabled account of a person
// gone from the source (see matchRehires): the account is updated to the
// new person, re-activated and re-linked; its roles are recomputed from
// scratch against the new person.
func (b *builder) rehire(out *changeList, p *person) {
	a, old := b.list.Account(p.acct), p.link
	want := p.desired()
	after := b.merge(*a, want)
	how := "userName"
	if !strings.EqualFold(a.UserName, want.UserName) {
		how = "e-mail"
	}
	c := Change{Kind: Rehire, Action: Relink, SourceID: p.p.SourceID, DN: p.p.DN, TargetID: a.ID,
		PreviousSourceID: old.SourceID, UserName: after.UserName, Before: a, After: &after,
		Reasons: []string{rehireReason(old.SourceID, old.DN, a.ID, "new in the source with the "+how+" of a disabled account")}}
	c.Attrs = b.attrDiff(p.acct, want)
	if after.ExternalID != want.ExternalID {
		// The account now belongs to the new identity, managed or not.
		c.Attrs = append(c.Attrs, AttrChange{Path: "externalId", Before: after.ExternalID, After: want.ExternalID, Rule: "rehire: the new source ID"})
		after.ExternalID = want.ExternalID
	}
	c.RolesAdded, c.RolesRemoved = b.roleDiff(p, p.acct), b.roleLoss(p, p.acct)
	out.rehires++
	out.add(c)
}

func (b *builder) mover(out *changeList, p *person) {
	want := p.desired()
	attrs := b.attrDiff(p.acct, want)
	added, removed := b.roleDiff(p, p.acct), b.roleLoss(p, p.acct)
	renamed := p.link.DN != "" && mapping.NormalizeDN(p.link.DN) != mapping.NormalizeDN(p.p.DN)
	if len(attrs) == 0 && len(added) == 0 && len(removed) == 0 && !renamed {
		out.unchanged++ // the common case: nothing is copied
		return
	}
	a := b.list.Account(p.acct)
	after := b.merge(*a, want)
	c := Change{Kind: Mover, SourceID: p.p.SourceID, DN: p.p.DN, TargetID: a.ID,
		UserName: after.UserName, Before: a, After: &after, Attrs: attrs, RolesAdded: added, RolesRemoved: removed}
	if n := len(c.Attrs); n > 0 {
		c.Reasons = append(c.Reasons, plural(n, "attribute differs", "attributes differ")+" from what the rules give")
	}
	if n := len(c.RolesAdded); n > 0 {
		c.Reasons = append(c.Reasons, "gains "+plural(n, "role", "roles"))
	}
	if n := len(c.RolesRemoved); n > 0 {
		c.Reasons = append(c.Reasons, "loses "+plural(n, "role", "roles"))
	}
	if renamed {
		c.PreviousDN = p.link.DN
		c.Reasons = append(c.Reasons, "renamed or moved in the source (same ID "+p.p.SourceID+")")
	}
	switch {
	case len(c.Attrs) > 0:
		c.Action = Update
	case len(c.RolesAdded) > 0 || len(c.RolesRemoved) > 0:
		c.Action = Roles
	default:
		c.Action = Record
	}
	out.add(c)
}

// leaver plans p's departure; gone is when a watcher reported p gone
// from the source (zero when none did).
func (b *builder) leaver(out *changeList, p *person, why string, gone time.Time) {
	if p.acct < 0 {
		out.add(Change{Kind: Leaver, Action: Unlink, SourceID: p.link.SourceID, DN: p.p.DN,
			TargetID: p.link.TargetID, UserName: p.link.UserName,
			Reasons: []string{why, "the linked account is already gone from the target"}})
		return
	}
	a := b.list.Account(p.acct)
	c := Change{Kind: Leaver, SourceID: p.link.SourceID, DN: p.p.DN, TargetID: a.ID,
		UserName: a.UserName, Before: a, Reasons: []string{why}}
	c.SourceChanged, c.SourceChangedBy = leftAt(p.p, b.in.Now)
	if c.SourceChanged.IsZero() && !gone.IsZero() {
		c.SourceChanged, c.SourceChangedBy = gone.UTC(), ChangedByNotice
	}
	c.RolesRemoved = b.roleLoss(p, p.acct)
	switch {
	case b.in.Policy.Leavers == "delete" && !b.keepInactive(p):
		c.Action = Delete
	case b.stagedDelete(p, &c):
		c.Action = Delete
	case a.Active:
		c.Action = Disable
		after := a.Clone()
		after.Active = false
		c.After = &after
	case len(c.RolesRemoved) > 0:
		c.Action = Roles
	case b.pendingDelete(p, &c): // sets c.Action
	default:
		return // already disabled and out of every group
	}
	b.noteStage(p, &c)
	out.add(c)
}

// leftAt returns when the directory said that p left, and how it said
// so: the end date that disabled p, else the entry's change time; zero
// when neither is known.
func leftAt(p *mapping.Person, now time.Time) (time.Time, string) {
	switch {
	case p.Disabled && !p.EndDate.IsZero() && !now.Before(p.EndDate):
		return p.EndDate.UTC(), ChangedByEndDate
	case !p.Changed.IsZero():
		return p.Changed.UTC(), ChangedByEntry
	}
	return time.Time{}, ""
}

// What a leaver's SourceChanged comes from.
const (
	ChangedByEndDate = "end date"
	ChangedByEntry   = "modifyTimestamp or whenChanged"
	// ChangedByNotice: the arrival of the watcher's report that the entry
	// was deleted or left its scope (syncrepl gives no time of its own).
	ChangedByNotice = "delete notification"
)

// classifyGoneLinks plans leavers for links whose person is no longer in
// the source at all.
func (b *builder) classifyGoneLinks() {
	out := changeList{list: b.plan.Changes}
	for _, i := range b.gone {
		l := &b.in.Links[i]
		ghost := &person{p: &mapping.Person{SourceID: l.SourceID, DN: l.DN}, link: l, acct: b.linked[i]}
		why := "gone from the source"
		if b.in.Deleted[l.SourceID] {
			why = "deleted"
		}
		if l.DN != "" {
			why += " (last seen as " + l.DN + ")"
		}
		b.leaver(&out, ghost, why, b.in.GoneAt[l.SourceID])
	}
	b.plan.Changes = out.list
}

// classifyOrphans lists target accounts nobody is linked to.
func (b *builder) classifyOrphans() {
	for i := range int32(b.list.Len()) {
		if b.claimed[i] {
			continue
		}
		a := b.list.Account(i)
		c := Change{Kind: Orphan, Action: Report, TargetID: a.ID, UserName: a.UserName, Before: a,
			Reasons: []string{"no source person is linked to this account"}}
		switch {
		case b.in.Policy.Orphans == "delete":
			c.Action = Delete
		case b.in.Policy.Orphans == "disable" && a.Active:
			c.Action = Disable
			after := a.Clone()
			after.Active = false
			c.After = &after
		}
		if c.Action == Report {
			c.Reasons = append(c.Reasons, "orphans are reported only (set orphans = \"disable\" or \"delete\" on the target to act)")
		}
		b.add(c)
	}
}

// merge returns the target account with every managed attribute set as the
// source wants it, and active.
func (b *builder) merge(actual, desired targets.Account) targets.Account {
	out := actual.Clone()
	out.Active = true
	if out.Attrs == nil {
		out.Attrs = targets.Attrs{}
	}
	for _, path := range b.managed {
		switch path {
		case "userName":
			out.UserName = desired.UserName
		case "externalId":
			out.ExternalID = desired.ExternalID
		case "active":
		default:
			if v := desired.Attrs.Get(path); v != "" {
				out.Attrs.Set(path, v)
			} else if _, ok := out.Attrs.Lookup(path); ok {
				out.Attrs.Set(path, "") // "" clears it: the target is sent a remove
			}
		}
	}
	if out.ExternalID == "" {
		out.ExternalID = desired.ExternalID // sent only with another change
	}
	return out
}

// attrDiff lists the managed attributes whose value in target account ai
// differs from the desired one (what merge would set), with the rule behind
// each, sorted by path. It copies nothing when nothing differs.
func (b *builder) attrDiff(ai int32, desired targets.Account) []AttrChange {
	var out []AttrChange
	if !b.list.Active(ai) {
		out = append(out, AttrChange{Path: "active", Before: "false", After: "true", Rule: "enabled again in the source"})
	}
	for _, path := range b.managed {
		var want string
		switch path {
		case "active":
			continue
		case "userName":
			want = desired.UserName
		case "externalId":
			want = desired.ExternalID
		default:
			want = desired.Attrs.Get(path)
		}
		if have := b.list.Attr(ai, path); have != want {
			d := AttrChange{Path: path, Before: have, After: want, Rule: b.rule("attributes." + path)}
			b.nameReference(&d)
			out = append(out, d)
		}
	}
	if len(out) > 1 {
		sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	}
	return out
}

func (b *builder) add(c Change) { b.plan.Changes = append(b.plan.Changes, c) }
