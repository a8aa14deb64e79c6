package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// deletionSources are what /status reads of a target's state to list its
// pending deletions.
type deletionSources struct {
	// links calls fn once for each link of the target (the inactive ones
	// are enough).
	links func(ctx context.Context, fn func(state.PlanLink) error) error
	// snapshot calls fn once for each person of the target's last
	// snapshot (those in scope and disabled are enough): with disabled_people = create-inactive, a person still in
	// scope and disabled keeps an inactive account that is never deleted.
	snapshot func(ctx context.Context, fn func(state.SnapshotEntry) error) error
}

// pendingDeletions lists, for /status, the accounts of a target whose
// leavers are deleted in stages (pol.DeleteAfter) that idsync disabled and
// will delete: the inactive links, less those of people the policy keeps
// inactive, counted, the soonest listed. It is nil when the target does
// not stage deletions. It is what the state database says as of the last
// run: a person back in the source shows until the next run re-enables
// their account.
func pendingDeletions(ctx context.Context, pol sync.Policy, now time.Time, src deletionSources) (*admin.PendingDeletions, error) {
	if _, ok := sync.DeleteDue(pol, state.PlanLink{}); !ok {
		return nil, nil
	}
	var all []admin.PendingDeletion
	err := src.links(ctx, func(l state.PlanLink) error {
		if at, ok := sync.DeleteDue(pol, l); ok {
			all = append(all, admin.PendingDeletion{UserName: l.UserName, SourceID: l.SourceID, AccountID: l.TargetID,
				Disabled: l.Updated, DeleteOn: at})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(all) > 0 && pol.DisabledPeople == sync.DisabledCreateInactive && src.snapshot != nil {
		kept := map[string]bool{}
		err := src.snapshot(ctx, func(e state.SnapshotEntry) error {
			if e.InScope && e.Disabled {
				kept[e.SourceID] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		all = slices.DeleteFunc(all, func(d admin.PendingDeletion) bool { return kept[d.SourceID] })
	}
	out := &admin.PendingDeletions{DeleteAfter: sync.FormatRetention(pol.DeleteAfter), Count: len(all)}
	for _, d := range all {
		if !d.DeleteOn.After(now) {
			out.Due++
		}
	}
	slices.SortFunc(all, func(a, b admin.PendingDeletion) int {
		if c := a.DeleteOn.Compare(b.DeleteOn); c != 0 {
			return c
		}
		return strings.Compare(a.UserName, b.UserName)
	})
	out.Next = append([]admin.PendingDeletion{}, all[:min(len(all), admin.MaxPendingDeletions)]...)
	return out, nil
}
