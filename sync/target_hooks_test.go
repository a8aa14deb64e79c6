package sync

import (
	"context"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
)

// upperTarget stores every userName upper-cased, as a target whose server
// rewrites names does, and says so with RewriteUserName.
type upperTarget struct{ *fakeTarget }

func (u upperTarget) RewriteUserName(name string) string { return strings.ToUpper(name) }

func (u upperTarget) Create(ctx context.Context, a targets.Account) (string, error) {
	a.UserName = strings.ToUpper(a.UserName)
	return u.fakeTarget.Create(ctx, a)
}

func (u upperTarget) Update(ctx context.Context, id string, a targets.Account) error {
	a.UserName = strings.ToUpper(a.UserName)
	return u.fakeTarget.Update(ctx, id, a)
}

// TestRewrittenUserNamesConverge: a target that stores userNames
// rewritten converges (no update of the name on every run), and an
// account it already holds is correlated through the rewrite.
func TestRewrittenUserNamesConverge(t *testing.T) {
	tgt := upperTarget{newFakeTarget()}
	if _, err := tgt.fakeTarget.Create(context.Background(), targets.Account{UserName: "BA", Active: true}); err != nil {
		t.Fatal(err)
	}
	r, _ := newTestRunner(t, &sliceSource{entries: people(3)}, tgt)
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Plans[0].Summary; s.Creates != 2 || s.Adopted != 1 {
		t.Errorf("first run: %+v; want 2 creates and 1 adopted (ba as BA)", s)
	}
	assertConverged(t, r)
}

// describedTarget says what its actions mean, as the SCIM profiles do.
type describedTarget struct{ *fakeTarget }

func (describedTarget) Meaning(action string) string {
	if action == "disable" {
		return "suspends the user (reversible)"
	}
	return ""
}

// TestPlanSaysWhatActionsMean: a leaver's disable on a target that
// describes its actions carries that description as a reason.
func TestPlanSaysWhatActionsMean(t *testing.T) {
	tgt := describedTarget{newFakeTarget()}
	src := &sliceSource{entries: people(2)}
	r, _ := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.entries = src.entries[:1]
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	var leaver *Change
	for i := range p.Changes {
		if p.Changes[i].Kind == Leaver {
			leaver = &p.Changes[i]
		}
	}
	if leaver == nil || leaver.Action != Disable {
		t.Fatalf("no leaver disable in %+v", p.Changes)
	}
	if got := strings.Join(leaver.Reasons, " | "); !strings.Contains(got, "disable on this target suspends the user (reversible)") {
		t.Errorf("leaver reasons %q do not say what disable means", got)
	}
}

// limitedTarget's groups hold at most max members, as Slack's 15,000.
type limitedTarget struct {
	*fakeTarget
	max int
}

func (l limitedTarget) MaxGroupMembers() int { return l.max }

// TestGroupSizeLimit: additions that would take a group past the target's
// limit are not planned, with a warning naming the group; removals and the
// people's accounts still go, and the plan stays the same on the next run.
func TestGroupSizeLimit(t *testing.T) {
	tgt := limitedTarget{newFakeTarget(), 3}
	src := &sliceSource{entries: people(3)}
	r, _ := newTestRunner(t, src, tgt)
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Plans[0].Summary; s.MembersAdded != 3 || len(out.Plans[0].Warnings) != 0 {
		t.Fatalf("3 people into a group of at most 3: %+v, warnings %q", s, out.Plans[0].Warnings)
	}
	src.entries = people(5)
	out, err = r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Plans[0]
	if s := p.Summary; s.Creates != 2 || s.MembersAdded != 0 || len(p.Groups) != 0 {
		t.Errorf("5 people into a group of at most 3: %+v, groups %+v; want 2 creates and no member added", s, p.Groups)
	}
	want := `group "staff" would have 5 members, and the target allows at most 3: its 2 additions are not sent`
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], want) {
		t.Errorf("warnings %q, want one saying %q", p.Warnings, want)
	}
	for _, c := range p.Changes {
		if len(c.RolesAdded) > 0 || !strings.Contains(strings.Join(c.Reasons, "|"), "1 role not granted: the target's group is full") {
			t.Errorf("change of %s: roles added %v, reasons %q; want the role left out, and said", c.UserName, c.RolesAdded, c.Reasons)
		}
	}
	assertConverged(t, r)

	// One leaves: the group can take one more, so nothing is dropped.
	src.entries = people(4)[1:]
	p, err = r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(p.Warnings, "|"), "would have") || len(p.Groups) != 1 || len(p.Groups[0].Add) != 1 || len(p.Groups[0].Remove) != 1 {
		t.Errorf("after a leaver: groups %+v, warnings %q; want one removed and one added", p.Groups, p.Warnings)
	}
}

// TestGroupSizeLimitKeepsRename: a person renamed in the source whose only
// other change is a role into a full group still has the rename recorded
// (the link's DN follows the source), as a rename alone would.
func TestGroupSizeLimitKeepsRename(t *testing.T) {
	tgt := limitedTarget{newFakeTarget(), 3}
	src := &sliceSource{entries: append(people(3), entry("id-d", "d", "Eng"))}
	r, store := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	moved := entry("id-d", "d", "Eng", "staff")
	moved.DN = "uid=d,ou=moved,dc=x"
	src.entries[3] = moved
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Plans[0]
	if len(p.Changes) != 1 || p.Changes[0].Action != Record || p.Changes[0].PreviousDN == "" {
		t.Errorf("changes %+v; want the rename recorded", p.Changes)
	}
	ls, err := store.LinksOf(context.Background(), "t", []string{"id-d"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || ls[0].DN != moved.DN {
		t.Errorf("links %+v; want the DN %s", ls, moved.DN)
	}
}

// TestGroupSizeLimitReasons: a mover whose role into a full group is not
// granted does not still say it gains it (the reasons are the audit's).
func TestGroupSizeLimitReasons(t *testing.T) {
	tgt := limitedTarget{newFakeTarget(), 3}
	src := &sliceSource{entries: append(people(3), entry("id-d", "d", "Eng"))}
	r, _ := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.entries[3] = entry("id-d", "d", "Sales", "staff")
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Action != Update {
		t.Fatalf("changes %+v; want d's update", p.Changes)
	}
	if why := strings.Join(p.Changes[0].Reasons, "|"); strings.Contains(why, "gains") || !strings.Contains(why, "1 role not granted") {
		t.Errorf("reasons %q; want the role not granted, and not gained", why)
	}
}

// TestSavedPlanGroupSizeLimitCountsApprovedOnly: apply --plan checks a
// group's size limit against the approved changes, the ones it writes,
// not against the fresh plan's: a group with room for one more member, a
// fresh plan with two additions and a saved plan that approved one of
// them applies that one, with its membership.
func TestSavedPlanGroupSizeLimitCountsApprovedOnly(t *testing.T) {
	tgt := limitedTarget{newFakeTarget(), 3}
	src := &sliceSource{entries: people(2)}
	r, _ := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}

	// The plan approved: ca joins, into staff (3 members of at most 3).
	src.entries = people(3)
	sp := saveRun(t, r)

	// da joins too before the plan is applied: the fresh plan would take
	// staff to 4 members, but da is not approved and is not written.
	src.entries = people(4)
	out, err := r.Run(context.Background(), Options{Saved: sp})
	if err != nil {
		t.Fatal(err)
	}
	o := sp.Outcomes[0]
	if o.Approved != 1 || o.Kept != 1 || len(o.Refused) != 0 || o.Skipped != 1 {
		t.Errorf("outcome %+v; want ca's approved change kept and da's skipped", o)
	}
	if w := strings.Join(out.Plans[0].Warnings, "|"); strings.Contains(w, "would have") {
		t.Errorf("warnings %q; the approved addition fits the group", w)
	}
	if countUsers(tgt.fakeTarget, "ca") != 1 || countUsers(tgt.fakeTarget, "da") != 0 {
		t.Errorf("accounts %+v; want ca created and not da", tgt.accounts)
	}
	var staff *targets.Group
	for _, g := range tgt.groups {
		if g.DisplayName == "staff" {
			staff = g
		}
	}
	if staff == nil || len(staff.Members) != 3 {
		t.Fatalf("staff %+v; want its 3 members: aa, ba and the approved ca", staff)
	}
}

// TestSavedPlanGroupSizeLimitWithheld: a saved plan made when the group
// was full (the role withheld from the joiner) still applies as approved
// when nothing moved: the joiner is created, without the role.
func TestSavedPlanGroupSizeLimitWithheld(t *testing.T) {
	tgt := limitedTarget{newFakeTarget(), 2}
	src := &sliceSource{entries: people(2)}
	r, _ := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.entries = people(3)
	sp := saveRun(t, r)
	if _, err := r.Run(context.Background(), Options{Saved: sp}); err != nil {
		t.Fatal(err)
	}
	if o := sp.Outcomes[0]; o.Kept != 1 || len(o.Refused) != 0 {
		t.Errorf("outcome %+v; want the approved create kept", o)
	}
	if countUsers(tgt.fakeTarget, "ca") != 1 {
		t.Errorf("ca not created: %+v", tgt.accounts)
	}
	for _, g := range tgt.groups {
		if len(g.Members) > 2 {
			t.Errorf("group %s has %d members, past the limit of 2", g.DisplayName, len(g.Members))
		}
	}
}
