package state

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestRoleHolders: the members idsync added and did not remove, of the
// target asked for, linked to a source person; refused writes, unlinked
// accounts and other targets left out.
func TestRoleHolders(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []struct{ target, sid, id, name string }{
		{"erp", "s-ann", "a1", "ann"}, {"erp", "s-bob", "a2", "bob"}, {"erp", "s-cid", "a3", "cid"}, {"crm", "s-ann", "c1", "ann"},
	} {
		op := Op{Audit: Audit{Time: at, Target: p.target, Kind: "joiner", Action: "create", Status: AuditApplied},
			Link: &Link{SourceID: p.sid, TargetID: p.id, UserName: p.name, Active: true}}
		if err := s.Commit(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	group := func(target, action, role, status string, ids ...string) {
		a := Audit{Time: at, Target: target, Kind: "group", Action: action, UserName: role, TargetID: "g-" + role, Status: status}
		for _, id := range ids {
			a.Members = append(a.Members, AuditMember{TargetID: id})
		}
		if err := s.Commit(ctx, Op{Audit: a}); err != nil {
			t.Fatal(err)
		}
	}
	group("erp", "add-members", "approvers", AuditApplied, "a1", "a2", "x9") // x9 is not linked
	group("erp", "add-members", "requesters", AuditApplied, "a1")
	group("erp", "remove-members", "approvers", AuditApplied, "a2")
	group("erp", "add-members", "requesters", AuditRefused, "a3")
	group("crm", "add-members", "approvers", AuditApplied, "c1")
	hs, err := s.RoleHolders(ctx, "erp")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(hs)
	if want := "[{approvers s-ann a1 ann} {requesters s-ann a1 ann}]"; got != want {
		t.Errorf("RoleHolders(erp) = %s, want %s", got, want)
	}
}
