package sync

import (
	"context"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/targets"
)

// TestCreateInactiveAdopts: with disabled_people = create-inactive, the
// existing unlinked account of a person disabled in the source is adopted
// (linked, kept or made inactive, its idsync roles taken) rather than
// created again; the plan says so. With skip it stays an orphan.
func TestCreateInactiveAdopts(t *testing.T) {
	bob := mkPerson("s2", "bob", "Sales", "vpn")
	bob.Disabled, bob.Account.Active = true, false
	in := func(pol Policy) Input {
		return Input{People: []mapping.Person{bob}, Managed: managed, Policy: pol,
			Accounts: []targets.Account{account("a2", "bob", "Sales", true)}}
	}
	p := BuildPlan(in(Policy{DisabledPeople: DisabledCreateInactive}))
	checkPlan(t, p, []want{{Adopt, Link, "bob"}}, []string{
		`unlinked target account a2 matches userName "bob"`,
		`disabled in the source; adopted inactive (disabled_people = "create-inactive")`,
	})
	c := p.Changes[0]
	if c.After.Active || len(c.RolesAdded) > 0 || len(c.Attrs) == 0 || c.Attrs[0].Path != "active" || c.Attrs[0].After != "false" {
		t.Errorf("adoption = %+v, want the account made inactive, without roles", c)
	}
	if p.Summary.Adopted != 1 || p.Summary.Creates != 0 {
		t.Errorf("summary = %+v, want 1 adopted, 0 creates", p.Summary)
	}
	checkPlan(t, BuildPlan(in(Policy{})), []want{{Orphan, Report, "bob"}}, nil)
}

// TestCreateInactiveAdoptsOnApply: the run applies that adoption: the
// account is linked and disabled, not duplicated, and the next run has
// nothing to do.
func TestCreateInactiveAdoptsOnApply(t *testing.T) {
	tgt := newFakeTarget()
	id, err := tgt.Create(context.Background(), targets.Account{UserName: "bob", Active: true,
		Attrs: targets.AttrsOf(map[string]string{"department": "Sales"})})
	if err != nil {
		t.Fatal(err)
	}
	e := entry("2", "bob", "Sales")
	e.Attrs = append(e.Attrs, mapping.Attr{Name: "disabled", Values: []string{"yes"}})
	r, store := newTestRunner(t, &sliceSource{entries: []mapping.Entry{e}}, tgt)
	r.Targets[0].Policy.DisabledPeople = DisabledCreateInactive
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Plans[0]; p.Summary.Adopted != 1 || p.Summary.Creates != 0 {
		t.Errorf("plan summary = %+v, want bob adopted", p.Summary)
	}
	if len(tgt.accounts) != 1 || tgt.accounts[id].Active {
		t.Errorf("accounts = %+v, want bob's one account, inactive", tgt.accounts)
	}
	if l, err := store.LinkOf(context.Background(), "t", id); err != nil || l.SourceID != "2" {
		t.Errorf("link of %s = %+v, %v; want source 2", id, l, err)
	}
	out, err = r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Plans[0]; p.Pending() {
		t.Errorf("second run plans %+v", p.Changes)
	}
}
