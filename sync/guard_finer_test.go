package sync

import (
	"errors"
	"strings"
	"testing"

	"github.com/idsync/idsync/targets"
)

// finerPlan has disables disables, deletes deletes and, in the group
// "vpn", roles removals from accounts it keeps and one from a leaver.
func finerPlan(disables, deletes, roles, linked int) *Plan {
	p := &Plan{Summary: Summary{Linked: linked, InScope: linked}}
	for i := 0; i < disables; i++ {
		p.Changes = append(p.Changes, Change{Kind: Leaver, Action: Disable, TargetID: "d" + itoa(i)})
	}
	for i := 0; i < deletes; i++ {
		p.Changes = append(p.Changes, Change{Kind: Orphan, Action: Delete, TargetID: "x" + itoa(i)})
	}
	g := GroupChange{Role: "vpn"}
	for i := 0; i < roles; i++ {
		g.Remove = append(g.Remove, Member{TargetID: "k" + itoa(i)})
	}
	if disables > 0 {
		g.Remove = append(g.Remove, Member{TargetID: "d" + itoa(0)}) // goes with the disable
	}
	p.Groups = []GroupChange{g}
	return p
}

// deactivatingAdoptions has n active accounts adopted inactive, for people
// disabled in the source (disabled_people = "create-inactive").
func deactivatingAdoptions(n int) *Plan {
	p := &Plan{Summary: Summary{Linked: 1000, InScope: 1000}}
	for i := 0; i < n; i++ {
		p.Changes = append(p.Changes, Change{Kind: Adopt, Action: Link, TargetID: "a" + itoa(i),
			Before: &targets.Account{Active: true}, After: &targets.Account{}})
	}
	return p
}

func itoa(i int) string { return strings.Repeat("i", i+1) }

// TestGuardsFiner: separate limits on disables and role removals, each
// with its override, and the section named in the message.
func TestGuardsFiner(t *testing.T) {
	tests := []struct {
		name string
		g    Guards
		p    *Plan
		o    Overrides
		want []string // empty: must pass
	}{
		{name: "unset limits do not apply", g: Guards{MaxDeletes: -1}, p: finerPlan(40, 5, 300, 1000)},
		{name: "disables over their limit", g: Guards{MaxDeletes: -1, MaxDisables: 3}, p: finerPlan(4, 10, 0, 1000),
			want: []string{"4 accounts would be disabled, more than guards.max_disables = 3", "--allow-deletes 14"}},
		{name: "deletes do not count as disables", g: Guards{MaxDeletes: -1, MaxDisables: 3}, p: finerPlan(3, 10, 0, 1000)},
		{name: "max_deletes still counts both", g: Guards{MaxDeletes: 10, MaxDisables: 30}, p: finerPlan(6, 5, 0, 1000),
			want: []string{"11 accounts would be disabled or deleted, more than guards.max_deletes = 10"}},
		{name: "disables percent", g: Guards{MaxDeletes: -1, MaxDisablesPercent: 10}, p: finerPlan(6, 0, 0, 50),
			want: []string{"6 of 50 managed accounts (12.0%) would be disabled, more than guards.max_disables_percent = 10"}},
		{name: "allow-deletes lets the disables through", g: Guards{MaxDeletes: -1, MaxDisables: 3}, p: finerPlan(4, 0, 0, 1000),
			o: Overrides{AllowDeletes: 4}},
		{name: "adoptions that deactivate count as disables", g: Guards{MaxDeletes: -1, MaxDisables: 3}, p: deactivatingAdoptions(4),
			want: []string{"4 accounts would be disabled, more than guards.max_disables = 3", "--allow-deletes 4"}},
		{name: "and --allow-deletes covers them", g: Guards{MaxDeletes: -1, MaxDisables: 3}, p: deactivatingAdoptions(4),
			o: Overrides{AllowDeletes: 4}},
		{name: "role removals over their limit", g: Guards{MaxDeletes: -1, MaxRoleRemovals: 100}, p: finerPlan(1, 0, 101, 1000),
			want: []string{"101 role memberships would be removed from 101 accounts that keep their account, more than guards.max_role_removals = 100", "--allow-role-removals 101"}},
		{name: "a leaver's roles are not counted", g: Guards{MaxDeletes: -1, MaxRoleRemovals: 100}, p: finerPlan(1, 0, 100, 1000)},
		{name: "role removals allowed", g: Guards{MaxDeletes: -1, MaxRoleRemovals: 100}, p: finerPlan(0, 0, 150, 1000),
			o: Overrides{AllowRoleRemovals: 150}},
		{name: "role removals allowed, fewer than the plan", g: Guards{MaxDeletes: -1, MaxRoleRemovals: 100}, p: finerPlan(0, 0, 150, 1000),
			o: Overrides{AllowRoleRemovals: 149}, want: []string{"150 role memberships"}},
		{name: "role removals percent", g: Guards{MaxDeletes: -1, MaxRoleRemovalsPercent: 5}, p: finerPlan(0, 0, 6, 100),
			want: []string{"6 of 100 managed accounts (6.0%) would lose a role, more than guards.max_role_removals_percent = 5"}},
		{name: "a target's own section", g: Guards{MaxDeletes: 1, Section: "target.gh.guards"}, p: finerPlan(2, 0, 0, 1000),
			want: []string{"more than target.gh.guards.max_deletes = 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Check(tt.p, 0, false, tt.o)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected refusal: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrGuard) {
				t.Fatalf("err = %v, want a guard refusal", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestGuardsValidateFiner(t *testing.T) {
	err := Guards{MaxDisablesPercent: 101, MaxRoleRemovalsPercent: -1}.Validate()
	for _, w := range []string{"max_disables_percent: must be between 0 and 100, got 101", "max_role_removals_percent: must be between 0 and 100, got -1"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("%v lacks %q", err, w)
		}
	}
}
