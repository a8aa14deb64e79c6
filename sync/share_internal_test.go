package sync

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// sameString reports whether a and b are equal and one string in memory.
func sameString(a, b string) bool {
	return a == b && unsafe.StringData(a) == unsafe.StringData(b)
}

// cloneAccount returns a with every string a copy of its own, as a target
// listing decodes them.
func cloneAccount(a targets.Account) targets.Account {
	c := targets.Account{ID: strings.Clone(a.ID), UserName: strings.Clone(a.UserName), ExternalID: strings.Clone(a.ExternalID), Active: a.Active}
	for _, at := range a.Attrs {
		c.Attrs = append(c.Attrs, targets.Attr{Path: at.Path, Value: strings.Clone(at.Value)})
	}
	return c
}

// sharedInput returns mixedInput with links in source ID order (as
// state.Store.PlanLinks gives them) and a listing whose strings are all
// its own, and the view a run would build of it.
func sharedInput() (Input, *targetView) {
	in := mixedInput()
	slices.SortFunc(in.Links, func(a, b state.PlanLink) int { return strings.Compare(a.SourceID, b.SourceID) })
	for i := range in.Links {
		l := &in.Links[i]
		l.SourceID, l.DN = strings.Clone(l.SourceID), strings.Clone(l.DN)
	}
	l := NewListing(in.Managed, len(in.Accounts))
	for _, a := range in.Accounts {
		l.Add(cloneAccount(a))
	}
	in.Listing, in.Accounts = l, nil
	in.Index = IndexListing(l, in.Groups, in.Links)
	return in, &targetView{accounts: l, links: in.Links, index: in.Index}
}

// TestSharedStringsSamePlan: people that took the equal strings of their
// links and linked accounts are equal to what they were, and plan the
// same; most of them do hold the listing's and the links' strings.
func TestSharedStringsSamePlan(t *testing.T) {
	in, v := sharedInput()
	want := BuildPlan(cloneInput(in))
	before := cloneInput(in).People

	var roles roleLists
	shared := 0
	for i := range in.People {
		p := &in.People[i]
		p.Roles = roles.intern(p.Roles)
		v.share(p)
		li, ok := slices.BinarySearchFunc(v.links, p.SourceID, func(l state.PlanLink, id string) int { return strings.Compare(l.SourceID, id) })
		if !ok || v.index.linked[li] < 0 {
			continue
		}
		ai := v.index.linked[li]
		if !sameString(p.SourceID, v.links[li].SourceID) || !sameString(p.DN, v.links[li].DN) {
			t.Fatalf("person %s does not hold its link's source ID and DN", p.SourceID)
		}
		if sameString(p.Account.UserName, v.accounts.UserName(ai)) &&
			sameString(p.Account.Attrs.Get("displayName"), v.accounts.Attr(ai, "displayName")) {
			shared++
		}
	}
	if !reflect.DeepEqual(in.People, before) {
		t.Fatal("sharing changed the people")
	}
	if shared < len(in.People)/2 {
		t.Errorf("%d of %d people hold their account's strings", shared, len(in.People))
	}
	if got := BuildPlan(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("plans differ: %d changes, %d groups; want %d, %d", len(got.Changes), len(got.Groups), len(want.Changes), len(want.Groups))
	}
	if len(want.Changes) == 0 {
		t.Fatal("the input plans nothing")
	}
}

// TestViewShareKeepsDifferences: a value that differs from the linked
// account's (a mover) is the person's own; a person without a link is
// left as it is.
func TestViewShareKeepsDifferences(t *testing.T) {
	l := NewListing([]string{"displayName", "title"}, 2)
	l.Add(targets.Account{ID: "t1", UserName: "ann", Attrs: targets.Attrs{{Path: "displayName", Value: "Ann"}, {Path: "title", Value: "Boss"}}})
	links := []state.PlanLink{{SourceID: "s1", TargetID: "t1", DN: "uid=ann"}}
	v := &targetView{accounts: l, links: links, index: IndexListing(l, nil, links)}
	c := strings.Clone
	ann := mapping.Person{SourceID: c("s1"), DN: c("uid=ann,moved"), Account: targets.Account{UserName: c("ann"),
		Attrs: targets.Attrs{{Path: "displayName", Value: c("Ann")}, {Path: "title", Value: c("Manager")}}}}
	title := ann.Account.Attrs[1].Value
	v.share(&ann)
	if ann.DN != "uid=ann,moved" || !sameString(ann.Account.Attrs[1].Value, title) {
		t.Errorf("the differing DN or title changed: %+v", ann)
	}
	if !sameString(ann.Account.Attrs[0].Value, l.Attr(0, "displayName")) || !sameString(ann.Account.UserName, l.UserName(0)) {
		t.Errorf("the equal values are not the listing's: %+v", ann)
	}
	cy := mapping.Person{SourceID: c("s3"), DN: c("uid=cy"), Account: targets.Account{UserName: c("cy")}}
	want := cy
	v.share(&cy)
	if !sameString(cy.DN, want.DN) || !sameString(cy.SourceID, want.SourceID) || !sameString(cy.Account.UserName, want.Account.UserName) {
		t.Errorf("cy, with no link, changed: %+v", cy)
	}
}

// TestRoleListsIntern: equal role lists become one, with no room to append
// into; different ones stay apart; a source where the lists mostly differ
// stops the interning.
func TestRoleListsIntern(t *testing.T) {
	list := func(names ...string) []mapping.Role {
		out := make([]mapping.Role, 0, len(names)+2)
		for _, n := range names {
			out = append(out, mapping.Role{Name: n, Reason: "member of cn=" + n})
		}
		return out
	}
	var rl roleLists
	a := rl.intern(list("eng", "ops"))
	b := rl.intern(list("eng", "ops"))
	c := rl.intern(list("eng"))
	d := rl.intern([]mapping.Role{{Name: "eng", Reason: "member of cn=other"}, {Name: "ops", Reason: "member of cn=ops"}})
	if &a[0] != &b[0] || cap(a) != len(a) {
		t.Errorf("equal lists not one (cap %d, len %d)", cap(a), len(a))
	}
	if &c[0] == &a[0] || &d[0] == &a[0] || !reflect.DeepEqual(d, []mapping.Role{{Name: "eng", Reason: "member of cn=other"}, {Name: "ops", Reason: "member of cn=ops"}}) {
		t.Errorf("different lists mixed: %v %v %v", a, c, d)
	}
	if rl.intern(nil) != nil {
		t.Error("no roles became some")
	}

	var unique roleLists
	for i := range 10000 {
		unique.intern(list(fmt.Sprint(i)))
	}
	if !unique.off || unique.lists != nil {
		t.Errorf("interning on with %d distinct lists of 10,000", len(unique.lists))
	}
	x := list("x")
	if got := unique.intern(x); &got[0] != &x[0] {
		t.Error("a list was interned once interning was off")
	}
}
