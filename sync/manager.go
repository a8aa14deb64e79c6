package sync

import (
	"context"
	"fmt"
	"slices"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// This file resolves the manager attribute. Its mapping rule gives the
// manager's source DN or source ID (LDAP's manager attribute is a DN); the
// target is sent the manager's account ID in that target, found through
// the manager's link. A manager without an account there is a warning and
// the attribute is left as the account has it: idsync never invents a
// reference. A manager who is a joiner of the same plan has no account ID
// yet: the next run sets it.

// ManagerPath is the account attribute path of the manager reference.
const ManagerPath = "manager"

// managerIndex finds a manager reference's person or link.
type managerIndex struct {
	byDN  map[string]int32           // normalized DN -> index in people
	links map[string]*state.PlanLink // Input.ManagerLinks by source ID and normalized DN
}

// resolveManagers gives every wanted person whose rules map a manager the
// manager's account ID in the target (person.attrs), or, when the manager
// has no account there, the value the account has now, with a warning.
func (b *builder) resolveManagers() {
	if !slices.Contains(b.managed, ManagerPath) {
		return
	}
	var x *managerIndex
	for i := range b.people {
		p := &b.people[i]
		ref := p.p.Account.Attrs.Get(ManagerPath)
		if ref == "" || !p.wanted() {
			continue // no manager: the attribute is cleared, as mapped
		}
		if x == nil {
			x = b.indexManagers()
		}
		id, why := b.managerAccount(x, ref)
		if id == "" {
			b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf(
				"manager %q of %s has no account in target %s (%s); its manager is left as it is", ref, p.p.DN, b.in.Target, why))
			if p.acct >= 0 {
				id = b.list.Attr(p.acct, ManagerPath)
			}
		}
		p.attrs = p.p.Account.Attrs.Clone()
		p.attrs.Set(ManagerPath, id)
	}
}

// indexManagers indexes the people by DN and Input.ManagerLinks.
func (b *builder) indexManagers() *managerIndex {
	x := &managerIndex{byDN: make(map[string]int32, len(b.people)), links: map[string]*state.PlanLink{}}
	for i := range b.people {
		x.byDN[mapping.NormalizeDN(b.people[i].p.DN)] = int32(i)
	}
	for i := range b.in.ManagerLinks {
		l := &b.in.ManagerLinks[i]
		x.links[l.SourceID] = l
		if l.DN != "" {
			x.links[mapping.NormalizeDN(l.DN)] = l
		}
	}
	return x
}

// managerAccount returns the account ID of the manager ref (a source DN
// or ID), or "" and why there is none.
func (b *builder) managerAccount(x *managerIndex, ref string) (id, why string) {
	pi, ok := b.bySource[ref]
	if !ok {
		pi, ok = x.byDN[mapping.NormalizeDN(ref)]
	}
	if ok {
		m := &b.people[pi]
		switch {
		case !m.wanted():
			return "", "the manager is out of its scope or disabled"
		case m.acct >= 0:
			return b.list.ID(m.acct), ""
		default:
			return "", "the manager is a joiner of this plan: set on the next run"
		}
	}
	l := x.links[ref]
	if l == nil {
		l = x.links[mapping.NormalizeDN(ref)]
	}
	switch {
	case l == nil:
		return "", "no person of the source has that DN or ID"
	case !l.Active:
		return "", "the manager's account was disabled"
	}
	return l.TargetID, ""
}

// ManagerRefs returns the manager references (source DNs or IDs) of
// people that are not people themselves, sorted and unique: for an
// incremental run, the managers whose links Input.ManagerLinks needs.
func ManagerRefs(people []mapping.Person) []string {
	ids := make(map[string]bool, len(people))
	for i := range people {
		ids[people[i].SourceID] = true
		ids[mapping.NormalizeDN(people[i].DN)] = true
	}
	var out []string
	for i := range people {
		ref := people[i].Account.Attrs.Get(ManagerPath)
		if ref != "" && !ids[ref] && !ids[mapping.NormalizeDN(ref)] {
			out = append(out, ref)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// managerLinker is a Store that also finds links by source DN
// (state.Store): LinksByRef returns the links whose source ID or DN is one
// of refs.
type managerLinker interface {
	LinksByRef(ctx context.Context, target string, refs []string) ([]state.Link, error)
}

var _ managerLinker = (*state.Store)(nil)

// managerLinks returns, for an incremental run, the links of the
// managers people name who are not among them (Input.ManagerLinks). A
// Store without LinksByRef finds them by source ID only.
func (r *Runner) managerLinks(ctx context.Context, target string, people []mapping.Person) ([]state.PlanLink, error) {
	refs := ManagerRefs(people)
	if len(refs) == 0 {
		return nil, nil
	}
	var links []state.Link
	var err error
	if ml, ok := r.Store.(managerLinker); ok {
		links, err = ml.LinksByRef(ctx, target, refs)
	} else {
		links, err = r.Store.LinksOf(ctx, target, refs)
	}
	if err != nil {
		return nil, fmt.Errorf("links of managers: %w", err)
	}
	return planLinks(links), nil
}

// withAttrs returns a with attrs in place of its own when attrs is set.
func withAttrs(a targets.Account, attrs targets.Attrs) targets.Account {
	if attrs != nil {
		a.Attrs = attrs
	}
	return a
}
