package sync

import (
	"context"

	"github.com/idsync/idsync/state"
)

// Recorder is the part of the state store Apply writes to. Every target
// write is recorded twice: its intent before it is sent (Begin), and its
// outcome after (Commit or SetGroupID with the ID Begin returned), so that
// no write reaches a target without an audit row, even when idsync stops in
// between.
type Recorder interface {
	// Begin records the intent of one target write as a pending audit
	// row, in its own transaction, and returns the row's ID.
	Begin(ctx context.Context, a state.Audit) (int64, error)
	// Commit stores one change: its audit row (a new one, or the pending
	// row op.Audit.ID completed) and its link change, together or not at
	// all. It fails wrapping state.ErrLinkConflict when the link would
	// give an account a second source ID (see state.Op.Replaces).
	Commit(ctx context.Context, op state.Op) error
	// SetGroupID records the group that holds a role, with its audit row
	// (new, or the pending row audit.ID completed).
	SetGroupID(ctx context.Context, target, role, groupID string, audit state.Audit) error
	// LinkOf returns the link of a target account; an error wrapping
	// state.ErrNotFound when the account is not linked.
	LinkOf(ctx context.Context, target, targetID string) (state.Link, error)
}

// Store is everything a Runner needs of the state store: what it reads to
// plan, the run records, the snapshot, and what Apply writes.
// *state.Store is one.
type Store interface {
	Recorder
	// StartRun records a new run of target in mode ("plan" or "apply").
	StartRun(ctx context.Context, target, mode string) (state.Run, error)
	// FinishRun records the end of a run started by StartRun.
	FinishRun(ctx context.Context, r state.Run) error
	// LinkCount returns the number of links of target.
	LinkCount(ctx context.Context, target string) (int, error)
	// PlanLinks calls fn exactly once for each link of target, with what
	// planning reads of it.
	PlanLinks(ctx context.Context, target string, fn func(state.PlanLink) error) error
	// GroupIDs returns target's role -> group ID map.
	GroupIDs(ctx context.Context, target string) (map[string]string, error)
	// LastSourceCount returns the in-scope count of target's last run that
	// went to its end (applied or partial); ok is false when none did.
	LastSourceCount(ctx context.Context, target string) (n int, ok bool, err error)
	// SaveSnapshot replaces target's snapshot with the entries next
	// returns, in one transaction.
	SaveSnapshot(ctx context.Context, target string, runID int64, next func() (state.SnapshotEntry, bool, error)) error
	// Audit calls fn exactly once for each audit row matching f, oldest
	// first.
	Audit(ctx context.Context, f state.AuditFilter, fn func(state.Audit) error) error
	// LinksOf returns the links of target whose source ID is in
	// sourceIDs (an incremental run's people).
	LinksOf(ctx context.Context, target string, sourceIDs []string) ([]state.Link, error)
	// UpdateSnapshot replaces the snapshot rows of entries and deletes
	// those of gone, in one transaction, and returns by how much the
	// number of people in scope changed; it fails when target has no
	// snapshot.
	UpdateSnapshot(ctx context.Context, target string, runID int64, entries []state.SnapshotEntry, gone []string) (int, error)
	// SettlePending marks target's pending audit rows up to ID upTo
	// unconfirmed, with note, once a run has reported them.
	SettlePending(ctx context.Context, target string, upTo int64, note string) (int, error)
	// RoleHolders lists the linked people idsync made members of each
	// role's group in target, from the audit (the holdings of a target
	// not in the run, for the SoD rules).
	RoleHolders(ctx context.Context, target string) ([]state.RoleHolder, error)
}

var _ Store = (*state.Store)(nil)
