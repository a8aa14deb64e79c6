// Package sync is idsync's engine. One run reads the source (a Source),
// maps every person with the mapping rules, loads links and the last snapshot
// from the state store, lists the target, and builds a Plan with BuildPlan, a
// pure function that classifies every change as a joiner, mover, leaver,
// orphan or adoption and records why. Guards check the whole plan before the
// first write; Apply then performs it operation by operation, committing each
// operation's link and audit row together so that a crash never loses a
// change nor creates a duplicate.
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
