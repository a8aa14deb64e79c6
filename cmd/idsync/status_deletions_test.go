package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// TestPendingDeletions: /status counts a staged target's disabled
// accounts, says how many are due, and lists the soonest ten with their
// dates; active links are not counted, and a target that does not stage
// deletions has none.
func TestPendingDeletions(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	links := []state.PlanLink{{SourceID: "s0", TargetID: "a0", UserName: "active", Active: true, Updated: now.Add(-100 * day)}}
	for i := range 12 { // disabled 0, 1, ... 11 days ago, the oldest past its 10 days
		links = append(links, state.PlanLink{SourceID: fmt.Sprintf("s%d", i+1), TargetID: fmt.Sprintf("a%d", i+1),
			UserName: fmt.Sprintf("u%02d", i), Updated: now.Add(-time.Duration(i) * day)})
	}
	each := func(_ context.Context, fn func(state.PlanLink) error) error {
		for _, l := range links {
			if err := fn(l); err != nil {
				return err
			}
		}
		return nil
	}
	staged := sync.Policy{Leavers: "disable", DeleteAfter: 10 * day}
	p, err := pendingDeletions(context.Background(), staged, now, deletionSources{links: each})
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 12 || p.Due != 2 || p.DeleteAfter != "10d" || len(p.Next) != 10 {
		t.Fatalf("count %d, due %d, deleteAfter %q, %d listed; want 12, 2, 10d, 10", p.Count, p.Due, p.DeleteAfter, len(p.Next))
	}
	first, last := p.Next[0], p.Next[9]
	if first.UserName != "u11" || !first.DeleteOn.Equal(now.Add(-day)) || !first.Disabled.Equal(now.Add(-11*day)) || first.AccountID != "a12" {
		t.Errorf("first = %+v, want u11, deleted a day ago", first)
	}
	if last.UserName != "u02" || !last.DeleteOn.Equal(now.Add(8*day)) {
		t.Errorf("tenth = %+v, want u02 in 8 days", last)
	}
	for _, pol := range []sync.Policy{{Leavers: "disable"}, {Leavers: "delete", DeleteAfter: 10 * day}} {
		if p, err := pendingDeletions(context.Background(), pol, now, deletionSources{links: each}); p != nil || err != nil {
			t.Errorf("policy %+v: %+v, %v; want none", pol, p, err)
		}
	}
	// With create-inactive, a person still in scope and disabled keeps an
	// inactive account: it is never deleted, and not listed.
	snapshot := func(_ context.Context, fn func(state.SnapshotEntry) error) error {
		for _, e := range []state.SnapshotEntry{{SourceID: "s12", InScope: true, Disabled: true}, {SourceID: "s11", InScope: false, Disabled: true}} {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	staged.DisabledPeople = sync.DisabledCreateInactive
	p, err = pendingDeletions(context.Background(), staged, now, deletionSources{links: each, snapshot: snapshot})
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 11 || p.Due != 1 || p.Next[0].UserName != "u10" {
		t.Errorf("with create-inactive: count %d, due %d, first %+v; want 11, 1, u10", p.Count, p.Due, p.Next[0])
	}
	p, err = pendingDeletions(context.Background(), staged, now, deletionSources{links: func(context.Context, func(state.PlanLink) error) error { return nil }})
	if err != nil || p.Count != 0 || p.Next == nil {
		t.Errorf("no inactive link: %+v, %v; want a count of 0 and an empty list", p, err)
	}
}
