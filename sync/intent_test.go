package sync

import (
	"context"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// intentChecker is a fakeTarget that, before every write, checks that the
// state holds exactly one pending audit row, with the write's action: the
// intent is on record before anything reaches the target.
type intentChecker struct {
	*fakeTarget
	t      *testing.T
	store  *state.Store
	writes int
}

func (c *intentChecker) expect(actions ...string) {
	c.t.Helper()
	c.writes++
	var pending []state.Audit
	err := c.store.Audit(context.Background(), state.AuditFilter{Target: "t", Status: state.AuditPending}, func(a state.Audit) error {
		pending = append(pending, a)
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
	if len(pending) != 1 {
		c.t.Errorf("write %d (%v): %d pending audit rows, want 1: %+v", c.writes, actions, len(pending), pending)
		return
	}
	for _, a := range actions {
		if pending[0].Action == a {
			return
		}
	}
	c.t.Errorf("write %d: the pending row is a %s, want one of %v", c.writes, pending[0].Action, actions)
}

func (c *intentChecker) Create(ctx context.Context, a targets.Account) (string, error) {
	c.expect("create")
	return c.fakeTarget.Create(ctx, a)
}

func (c *intentChecker) Update(ctx context.Context, id string, a targets.Account) error {
	c.expect("update", "link", "relink")
	return c.fakeTarget.Update(ctx, id, a)
}

func (c *intentChecker) Deactivate(ctx context.Context, id string) error {
	c.expect("disable")
	return c.fakeTarget.Deactivate(ctx, id)
}

func (c *intentChecker) Delete(ctx context.Context, id string) error {
	c.expect("delete")
	return c.fakeTarget.Delete(ctx, id)
}

func (c *intentChecker) CreateGroup(ctx context.Context, name string) (string, error) {
	c.expect(auditCreateGroup)
	return c.fakeTarget.CreateGroup(ctx, name)
}

func (c *intentChecker) ModifyMembers(ctx context.Context, id string, add, remove []string) error {
	c.expect(auditAddMembers, auditRemoveMembers)
	return c.fakeTarget.ModifyMembers(ctx, id, add, remove)
}

// TestEveryWriteHasItsIntent: joiners with groups, movers gaining and
// losing roles, leavers (disabled or deleted), a rehire in the same run
// (create refused, account taken over), an adoption after a refused
// create and a refused group create adopted by name: every target write
// has its pending row before it, and no row is left pending after.
func TestEveryWriteHasItsIntent(t *testing.T) {
	for _, policy := range []string{"disable", "delete"} {
		t.Run(policy, func(t *testing.T) {
			tgt := newFakeTarget()
			src := &sliceSource{entries: []mapping.Entry{entry("old-ann", "ann", "Eng", "eng"), entry("bob", "bob", "Eng", "eng"),
				entry("cy", "cy", "Ops", "ops", "eng"), entry("dee", "dee", "Ops", "ops")}}
			r, store := newTestRunner(t, src, nil)
			ic := &intentChecker{fakeTarget: tgt, t: t, store: store}
			r.Targets[0].Target, r.Targets[0].Policy.Leavers = ic, policy
			ctx := context.Background()
			if _, err := r.Run(ctx, Options{}); err != nil {
				t.Fatal(err)
			}
			// Made by hand since: an account with a joiner's userName (adopted
			// when the create is refused) and the group of a new role.
			tgt.accounts["h1"] = targets.Account{ID: "h1", UserName: "eve", Active: true}
			tgt.groups["hg"] = &targets.Group{ID: "hg", DisplayName: "sales"}
			src.entries = []mapping.Entry{entry("bob", "bob", "Sales", "sales"), entry("new-ann", "ann", "Eng", "eng"),
				entry("cy", "cy", "Ops", "ops"), entry("eve", "eve", "Sales", "sales", "new")}
			if _, err := r.Run(ctx, Options{Overrides: Overrides{AllowShrink: true, AllowDeletes: 5}}); err != nil {
				t.Fatal(err)
			}
			if ic.writes < 10 {
				t.Errorf("only %d writes checked", ic.writes)
			}
			for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
				if a.Status == state.AuditPending {
					t.Errorf("pending audit row left: %+v", a)
				}
			}
			assertConverged(t, r)
		})
	}
}
