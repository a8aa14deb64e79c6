package sync

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/idsync/idsync/mapping"
)

// TestRunSoDAcrossTargets: with a blocking rule across two targets, a
// person granted both roles in one run gets the rule's first role and not
// the second, the one that completes the set (every target is planned
// before the first applies), keeps both accounts, and the others' grants
// are applied; the next run flags the same grant again and changes
// nothing.
func TestRunSoDAcrossTargets(t *testing.T) {
	a, b := newFakeTarget(), newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{entry("1", "ann", "Eng", "x", "y"), entry("2", "bob", "Eng", "x", "y")}}
	r, _ := newTestRunner(t, src, a)
	r.Targets = append(r.Targets, TargetSpec{Name: "b", Target: b, Guards: DefaultGuards})
	r.Targets[0].Name = "a"
	r.SoD = []SoDRule{{Name: "x-y", Block: true, Roles: []SoDRole{{"a", "x"}, {"b", "y"}}}}
	// bob already holds a:x through an earlier run without the rule.
	src.entries[1] = entry("2", "bob", "Eng", "x")
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.entries[1] = entry("2", "bob", "Eng", "x", "y")
	for run := 1; run <= 2; run++ {
		out, err := r.Run(context.Background(), Options{})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if got := groupsOf(a, "ann") + " / " + groupsOf(b, "ann"); got != "x,y / x" {
			t.Errorf("run %d: ann's groups in a / b = %q, want a:x granted (the rule's first role) and b:y blocked", run, got)
		}
		if got := groupsOf(a, "bob") + " / " + groupsOf(b, "bob"); got != "x,y / x" {
			t.Errorf("run %d: bob's groups in a / b = %q, want b:y blocked, the rest kept", run, got)
		}
		if countUsers(a, "ann") != 1 || countUsers(b, "ann") != 1 {
			t.Errorf("run %d: ann's accounts are not all there", run)
		}
		if !slices.ContainsFunc(out.Plans[1].Warnings, func(w string) bool {
			return strings.Contains(w, `bob would hold b:y with a:x; the grant is blocked, not applied`)
		}) {
			t.Errorf("run %d: b's warnings %q lack bob's blocked grant", run, out.Plans[1].Warnings)
		}
	}
}

// groupsOf lists the groups of the fake target that user is in, sorted.
func groupsOf(f *fakeTarget, user string) string {
	var out []string
	for _, g := range f.groups {
		for _, id := range g.Members {
			if f.accounts[id].UserName == user {
				out = append(out, g.DisplayName)
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// TestRunSoDOneTarget: a run of one target (--target) checks the rules
// against what the people of the other targets hold as idsync recorded
// it: bob, who holds a:x, is not granted b:y in a run of b alone, and the
// plan says why; ann, who holds nothing in a, is.
func TestRunSoDOneTarget(t *testing.T) {
	a, b := newFakeTarget(), newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{entry("1", "ann", "Eng", "y"), entry("2", "bob", "Eng", "x", "y")}}
	r, _ := newTestRunner(t, src, a)
	r.Targets[0].Name = "a"
	if _, err := r.Run(context.Background(), Options{}); err != nil { // a alone, no rule yet
		t.Fatal(err)
	}
	if got := groupsOf(a, "bob"); got != "x,y" {
		t.Fatalf("bob's groups in a = %q", got)
	}
	r.Targets = []TargetSpec{{Name: "b", Target: b, Guards: DefaultGuards}}
	r.SoD = []SoDRule{{Name: "x-y", Block: true, Roles: []SoDRole{{"a", "x"}, {"b", "y"}}}}
	r.SoDOthers = []string{"a"}
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := groupsOf(b, "bob"); got != "x" {
		t.Errorf("bob's groups in b = %q, want b:y blocked (bob holds a:x)", got)
	}
	if got := groupsOf(b, "ann"); got != "y" {
		t.Errorf("ann's groups in b = %q, want y (ann holds nothing the rule names in a)", got)
	}
	if !slices.ContainsFunc(out.Plans[0].Warnings, func(w string) bool {
		return strings.Contains(w, `bob would hold b:y with a:x; the grant is blocked, not applied`)
	}) {
		t.Errorf("b's warnings %q lack bob's blocked grant", out.Plans[0].Warnings)
	}
}
