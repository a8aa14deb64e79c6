package admin

import (
	"context"
	"time"
)

// StatusVersion is the version of the /status document. It changes only
// when a field is removed or changes meaning; new fields may appear at any
// time.
const StatusVersion = 1

// StatusProvider supplies the /status document.
type StatusProvider interface {
	// Status returns the daemon's state now. It is called once per request,
	// concurrently with the engine's work, and must not block on a run in
	// flight; ctx ends when the client goes away. An error answers 500.
	// The server sets Version.
	Status(ctx context.Context) (Status, error)
}

// Readiness says whether the daemon is ready.
type Readiness interface {
	// Ready reports whether the first run finished without a source or
	// target error (and nothing since made the daemon unfit to serve); when
	// not, reason says why in words. It must be fast and must not block.
	Ready() (ready bool, reason string)
}

// StatusFunc adapts a function to StatusProvider.
type StatusFunc func(ctx context.Context) (Status, error)

// Status calls f.
func (f StatusFunc) Status(ctx context.Context) (Status, error) { return f(ctx) }

// ReadinessFunc adapts a function to Readiness.
type ReadinessFunc func() (bool, string)

// Ready calls f.
func (f ReadinessFunc) Ready() (bool, string) { return f() }

var (
	_ StatusProvider = StatusFunc(nil)
	_ Readiness      = ReadinessFunc(nil)
)

// Status is the /status document (docs/status-json.md).
type Status struct {
	Version   int            `json:"version"`
	Generated time.Time      `json:"generated"` // when the document was made
	Started   time.Time      `json:"started"`   // when the daemon started
	Targets   []TargetStatus `json:"targets"`
	Watcher   *WatcherStatus `json:"watcher,omitempty"` // absent when no watcher is configured
	LastError *ErrorInfo     `json:"lastError,omitempty"`
}

// TargetStatus is one target's part of the status.
type TargetStatus struct {
	Name string `json:"name"`
	// Running is true while a run of this target is in flight; its record is
	// then the first of LastRuns, with status "running".
	Running bool `json:"running"`
	// ConsecutiveFailures counts the runs since the last successful one
	// that did not succeed (failed, refused by a guard, or partial).
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	LastSuccess         *time.Time `json:"lastSuccess,omitempty"` // when the last successful run finished
	NextRuns            []NextRun  `json:"nextRuns,omitempty"`    // soonest first
	LastRuns            []RunInfo  `json:"lastRuns"`              // newest first
	LastError           *ErrorInfo `json:"lastError,omitempty"`
	// PendingDeletions are the leavers' accounts idsync disabled and will
	// delete once the target's delete_after has passed; absent when the
	// target does not stage deletions.
	PendingDeletions *PendingDeletions `json:"pendingDeletions,omitempty"`
}

// PendingDeletions are a target's staged deletions, as the state database
// has them.
type PendingDeletions struct {
	// DeleteAfter is the target's retention period, as configured ("90d").
	DeleteAfter string `json:"deleteAfter"`
	// Count is how many disabled accounts wait for their deletion.
	Count int `json:"count"`
	// Due counts those whose date has passed: the next full run deletes
	// them.
	Due int `json:"due"`
	// Next are the soonest of them (at most MaxPendingDeletions), soonest
	// first.
	Next []PendingDeletion `json:"next"`
}

// MaxPendingDeletions is how many pending deletions /status lists per
// target.
const MaxPendingDeletions = 10

// PendingDeletion is one disabled account waiting for its deletion.
type PendingDeletion struct {
	UserName  string    `json:"userName"`
	SourceID  string    `json:"sourceId"`
	AccountID string    `json:"accountId"`
	Disabled  time.Time `json:"disabled"` // when idsync disabled it
	DeleteOn  time.Time `json:"deleteOn"` // Disabled + delete_after
}

// NextRun is a scheduled run to come.
type NextRun struct {
	Schedule string    `json:"schedule"` // the schedule's name in the configuration
	Mode     string    `json:"mode"`     // "full" or "incremental"
	Spec     string    `json:"spec"`     // the cron expression
	At       time.Time `json:"at"`
}

// RunInfo is one run of one target.
type RunInfo struct {
	ID       int64      `json:"id,omitempty"` // the run's ID in the state database
	Mode     string     `json:"mode"`         // "full" or "incremental"
	DryRun   bool       `json:"dryRun,omitempty"`
	Trigger  string     `json:"trigger"` // "schedule", "watch", "manual" or "startup"
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"` // absent while running
	// Status is "running", "planned", "applied", "partial", "failed" or
	// "refused" (the statuses of the state database's runs).
	Status string    `json:"status"`
	Counts RunCounts `json:"counts"`
	Error  string    `json:"error,omitempty"`
}

// RunCounts are the numbers of a run.
type RunCounts struct {
	Read    int `json:"read"`    // people read from the source
	Changes int `json:"changes"` // changes planned
	Applied int `json:"applied"` // steps the target accepted
	Failed  int `json:"failed"`  // steps not applied (refused or failed)
}

// WatcherStatus is the state of the change watcher.
type WatcherStatus struct {
	Kind  string    `json:"kind"`  // e.g. "syncrepl"
	State string    `json:"state"` // "connecting", "refreshing", "watching" or "disconnected"
	Since time.Time `json:"since"` // when it entered State
	// LastEvent is when the last change notification arrived.
	LastEvent *time.Time `json:"lastEvent,omitempty"`
	// Pending counts the changes received and not yet applied, LagSeconds
	// how long the oldest of them has waited (0 when none).
	Pending    int     `json:"pending"`
	LagSeconds float64 `json:"lagSeconds"`
	Error      string  `json:"error,omitempty"` // the last connection error
}

// ErrorInfo is an error and when it happened.
type ErrorInfo struct {
	Time    time.Time `json:"time"`
	Target  string    `json:"target,omitempty"` // absent for the source or the daemon itself
	Message string    `json:"message"`
}
