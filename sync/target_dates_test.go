package sync

import (
	"context"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
)

// TestRunPerTargetEndDate: a target's own end_date makes a leaver there
// alone, names the target's rule, and its date is the run's next dated
// event before it falls.
func TestRunPerTargetEndDate(t *testing.T) {
	e := entry("id-ann", "ann", "Eng")
	e.Attrs = append(e.Attrs, mapping.Attr{Name: "append", Values: []string{"2026-03-10"}})
	src := &sliceSource{entries: []mapping.Entry{e}}
	all, app := newFakeTarget(), newFakeTarget()
	r, _ := newTestRunner(t, src, all)
	m, err := mapping.CompileTarget(mapping.Config{Attributes: map[string]string{"userName": `attr("uid")`, "department": `attr("ou")`}},
		mapping.TargetRules{Name: "app", EndDate: `attr("appEnd")`})
	if err != nil {
		t.Fatal(err)
	}
	now := policyNow // 2026-03-01
	r.Now = func() time.Time { return now }
	r.Targets = append(r.Targets, TargetSpec{Name: "app", Target: app, Guards: DefaultGuards, Mapper: m})
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC); !out.NextDue.Equal(want) {
		t.Errorf("next due = %v, want the app end date %v", out.NextDue, want)
	}
	now = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	out, err = r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !anyReason(out.Plans[1], `end date 2026-03-10 00:00 UTC passed (target.app.mapping.end_date = attr("appEnd"))`) {
		t.Errorf("app plan: %+v", out.Plans[1].Changes)
	}
	ann, _ := app.byName("ann")
	other, _ := all.byName("ann")
	if app.accounts[ann].Active || !all.accounts[other].Active {
		t.Errorf("ann active: app %v, other %v; want disabled in app alone", app.accounts[ann].Active, all.accounts[other].Active)
	}
}
