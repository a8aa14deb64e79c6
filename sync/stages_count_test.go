package sync

import (
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// TestPendingDeletesAreNotLeavers: a leaver's account disabled and waiting
// for its staged deletion is a report, not a pending write: the summary
// counts it as awaiting deletion, not as a leaver, Pending is false, the
// guards count nothing, and the change carries its deletion date. A
// leaver disabled in this run counts as a leaver, with its date too; a
// protected leaver is neither.
func TestPendingDeletesAreNotLeavers(t *testing.T) {
	staged := Policy{Leavers: "disable", DeleteAfter: ninetyDays}
	waiting := Input{Now: policyNow, Policy: staged,
		Links:    []state.PlanLink{disabledLink("s1", "a1", "ann", policyNow.Add(-10*24*time.Hour))},
		Accounts: []targets.Account{account("a1", "ann", "Eng", false)}}
	p := BuildPlan(waiting)
	if len(p.Changes) != 1 || p.Changes[0].Action != Report {
		t.Fatalf("changes = %+v, want ann's report", p.Changes)
	}
	if got, want := p.Changes[0].DeleteOn, policyNow.Add(80*24*time.Hour); !got.Equal(want) {
		t.Errorf("deleteOn = %v, want %v", got, want)
	}
	if s := p.Summary; s.Leavers != 0 || s.PendingDeletes != 1 {
		t.Errorf("leavers = %d, pendingDeletes = %d; want 0 and 1", s.Leavers, s.PendingDeletes)
	}
	if p.Pending() {
		t.Error("Pending() = true for a plan of one report")
	}
	if err := (Guards{MaxDeletes: 0, MaxDisables: 0, MaxRoleRemovals: 0}).Check(p, 0, false, Overrides{}); err != nil {
		t.Errorf("guards refuse a plan of one report: %v", err)
	}
	if line := SummaryLine(p); !strings.HasPrefix(line, "No changes:") || !strings.Contains(line, "1 account disabled, awaiting deletion") {
		t.Errorf("summary line = %q", line)
	}
	var html strings.Builder
	if err := WriteHTML(&html, []*Plan{p}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), `<td data-count="pendingDeletes">1</td>`) {
		t.Error("the HTML summary lacks the pending deletions")
	}

	both := waiting
	both.Links = append(both.Links, link("s2", "a2", "bob"), link("s3", "a3", "root"))
	both.Accounts = append(both.Accounts, withExt(account("a2", "bob", "Eng", true), "s2"), withExt(account("a3", "root", "Ops", true), "s3"))
	both.Policy.Protect = Protect{UserNames: []string{"root"}}
	p = BuildPlan(both)
	if s := p.Summary; s.Leavers != 1 || s.PendingDeletes != 1 || s.Disables != 1 {
		t.Errorf("leavers = %d, pendingDeletes = %d, disables = %d; want 1, 1, 1", s.Leavers, s.PendingDeletes, s.Disables)
	}
	for _, c := range p.Changes {
		switch c.UserName {
		case "bob":
			if want := policyNow.Add(ninetyDays); c.Action != Disable || !c.DeleteOn.Equal(want) {
				t.Errorf("bob: %s, deleteOn %v; want disable, %v", c.Action, c.DeleteOn, want)
			}
		case "root":
			if c.Action != Report || !c.DeleteOn.IsZero() {
				t.Errorf("root (protected): %s, deleteOn %v; want a report without a date", c.Action, c.DeleteOn)
			}
		}
	}
	before := p.Summary
	recount(p)
	if p.Summary != before {
		t.Errorf("recount (saved plans) = %+v, BuildPlan = %+v", p.Summary, before)
	}
}
