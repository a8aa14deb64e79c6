package sync

import (
	"context"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
)

// TestDatedJoinersAndLeavers: with a fixed clock, a joiner whose start
// date is ahead is created inactive and without roles within
// provision_before, and activated with their roles on the day; a
// contractor becomes a leaver when their end date passes, with nobody
// touching the directory.
func TestDatedJoinersAndLeavers(t *testing.T) {
	m, err := mapping.Compile(mapping.Config{
		Attributes: map[string]string{"userName": `attr("uid")`, "department": `attr("ou")`},
		StartDate:  `attr("start")`,
		EndDate:    `attr("end")`,
		Roles:      []mapping.RoleRule{{Name: "staff", When: "true"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	joiner := entry("id-new", "new", "Eng")
	joiner.Attrs = append(joiner.Attrs, mapping.Attr{Name: "start", Values: []string{"2026-03-10"}})
	contractor := entry("id-con", "con", "Eng")
	contractor.Attrs = append(contractor.Attrs, mapping.Attr{Name: "end", Values: []string{"20260305170000Z"}})
	src := &sliceSource{entries: []mapping.Entry{joiner, contractor}}
	tgt := newFakeTarget()
	r, _ := newTestRunner(t, src, tgt)
	r.Mapper = m
	r.Targets[0].Policy.ProvisionBefore = 7 * 24 * time.Hour
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return now }
	var out *Outcome
	run := func(day int, hour int) *Plan {
		t.Helper()
		now = time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC)
		var err error
		if out, err = r.Run(context.Background(), Options{Overrides: Overrides{AllowShrink: true}}); err != nil {
			t.Fatal(err)
		}
		return out.Plans[0]
	}
	// March 1: the contractor joins; the joiner is 9 days away, and is
	// due to be provisioned on March 3 at midnight.
	p := run(1, 9)
	checkPlan(t, p, []want{{Joiner, Create, "con"}}, nil)
	if want := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC); !out.NextDue.Equal(want) {
		t.Errorf("next due %v, want %v", out.NextDue, want)
	}
	// March 4: within 7 days of the start: created inactive, no roles.
	p = run(4, 9)
	checkPlan(t, p, []want{{Joiner, Create, "new"}}, []string{
		`starts on 2026-03-10; created inactive ahead (provision_before = 7d) and activated on that day (mapping.start_date = attr("start"))`})
	if id, _ := tgt.byName("new"); tgt.accounts[id].Active || len(tgt.groupsOf(id)) != 0 {
		t.Errorf("pre-provisioned account %+v in %v, want inactive and in no group", tgt.accounts[id], tgt.groupsOf(id))
	}
	// March 5, 18:00: the contractor's end has passed.
	p = run(5, 18)
	checkPlan(t, p, []want{{Leaver, Disable, "con"}}, []string{
		`end date 2026-03-05 17:00 UTC passed (mapping.end_date = attr("end"))`})
	// March 9: still inactive, nothing to do.
	if p = run(9, 23); p.Pending() {
		t.Errorf("the day before the start: %+v", p.Changes)
	}
	// March 10: activated, with roles.
	p = run(10, 0)
	checkPlan(t, p, []want{{Mover, Update, "new"}}, []string{"gains 1 role"})
	if id, _ := tgt.byName("new"); !tgt.accounts[id].Active || len(tgt.groupsOf(id)) != 1 {
		t.Errorf("on the start date %+v in %v, want active and in staff", tgt.accounts[id], tgt.groupsOf(id))
	}
	if id, _ := tgt.byName("con"); tgt.accounts[id].Active {
		t.Error("the contractor is active again")
	}
}

// TestNextDue: a run says when its next dated event falls: the earliest
// of a provisioning day, a start, an end and a staged deletion.
func TestNextDue(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	people := []peopleDates{{start: day(10)}, {end: day(5)}, {start: day(-3), end: day(40)}}
	spec := TargetSpec{Policy: Policy{ProvisionBefore: 7 * 24 * time.Hour}}
	if got := nextDue(now, people, spec, nil, nil); !got.Equal(day(3)) {
		t.Errorf("next due %v, want the provisioning day %v", got, day(3))
	}
	spec.Policy = Policy{Leavers: "disable", DeleteAfter: 30 * 24 * time.Hour}
	v := &targetView{links: []state.PlanLink{{Active: false, Updated: day(-28)}, {Active: true, Updated: day(-100)}}}
	if got := nextDue(now, people, spec, v, nil); !got.Equal(day(2)) {
		t.Errorf("next due %v, want the deletion day %v", got, day(2))
	}
	// A person the policy keeps inactive (create-inactive): their
	// disabled account is never deleted, and no event is due for it.
	v.links[0].SourceID = "kept"
	if got := nextDue(now, append(people, peopleDates{id: "kept", kept: true}), spec, v, nil); !got.Equal(day(5)) {
		t.Errorf("next due %v, want the end date %v (no deletion for a person kept inactive)", got, day(5))
	}
	if got := nextDue(now, nil, TargetSpec{}, nil, nil); !got.IsZero() {
		t.Errorf("next due %v without dates", got)
	}
}
