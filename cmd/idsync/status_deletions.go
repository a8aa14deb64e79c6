package main

import (
	"context"
	"slices"
	"time"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// pendingDeletions lists, for /status, the accounts of a target whose
// leavers are deleted in stages (pol.DeleteAfter) that idsync disabled and
// will delete: every inactive link that each calls for, counted, the
// soonest listed. It is nil when the target does not stage deletions. The
// links are the state database's: a person back in the source shows until
// the next run re-enables their account.
func pendingDeletions(ctx context.Context, pol sync.Policy, now time.Time,
	each func(ctx context.Context, fn func(state.PlanLink) error) error) (*admin.PendingDeletions, error) {
	if _, ok := sync.DeleteDue(pol, state.PlanLink{}); !ok {
		return nil, nil
	}
	out := &admin.PendingDeletions{DeleteAfter: sync.FormatRetention(pol.DeleteAfter), Next: []admin.PendingDeletion{}}
	err := each(ctx, func(l state.PlanLink) error {
		at, ok := sync.DeleteDue(pol, l)
		if !ok {
			return nil
		}
		out.Count++
		if !at.After(now) {
			out.Due++
		}
		d := admin.PendingDeletion{UserName: l.UserName, SourceID: l.SourceID, AccountID: l.TargetID, Disabled: l.Updated, DeleteOn: at}
		i, _ := slices.BinarySearchFunc(out.Next, d, soonest)
		if i < admin.MaxPendingDeletions {
			out.Next = slices.Insert(out.Next, i, d)
			if len(out.Next) > admin.MaxPendingDeletions {
				out.Next = out.Next[:admin.MaxPendingDeletions]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// soonest orders pending deletions by date, then userName.
func soonest(a, b admin.PendingDeletion) int {
	if c := a.DeleteOn.Compare(b.DeleteOn); c != 0 {
		return c
	}
	if a.UserName < b.UserName {
		return -1
	}
	if a.UserName > b.UserName {
		return 1
	}
	return 0
}
