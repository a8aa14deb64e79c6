// Package sync is idsync's engine. One run reads the source (a Source),
// maps every person with the mapping rules, loads the links, group IDs and
// last run's count from the state store, lists the target (checking the
// listing against the links), and builds a Plan with BuildPlan, a pure
// function that classifies every change as a joiner, mover, leaver,
// rehire, orphan or adoption and records why. Guards check the whole plan
// before the first write. Apply then performs it: revocations first
// (members leave groups, then leavers are disabled or deleted), then the
// other account changes, then group creates and additions. Every target
// write is recorded as a pending audit row before it is sent and completed
// with its outcome, together with its link change, after; a change the
// target refuses is recorded and the run goes on with the changes that do
// not depend on it.
//
// A dry run is the same path stopped after the plan.
package sync

import (
	"context"

	"github.com/idsync/idsync/mapping"
)

// Source is the authoritative directory.
type Source interface {
	// Read calls fn exactly once for each person entry, with Groups
	// resolved (direct and nested memberships, Via set for nested ones).
	// The entry belongs to the caller: the source keeps no reference to it
	// and never writes to it again, so fn may keep it, change it or pass it
	// on.
	//
	// Any problem reading (connection, bind, size or time limit, a referral
	// the source cannot follow, cancellation) is returned as an error, and
	// the caller discards every entry fn saw: a Read that returns nil has
	// delivered every person. An error fn returns stops the read and is
	// returned as it is.
	Read(ctx context.Context, fn func(mapping.Entry) error) error
}
