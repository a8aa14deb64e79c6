package sync

import (
	"maps"
	"time"

	"github.com/sirupsen/logrus"
)

// The outcomes of a run in RunRecord.Outcome.
const (
	OutcomeOK     = "ok"
	OutcomeFailed = "failed"
	// OutcomeCancelled is a run cut short at stop, after the grace period.
	// It does not count as a failure: the next start runs again.
	OutcomeCancelled = "cancelled"
)

// RunningRun is the run in flight.
type RunningRun struct {
	Kind   RunKind `json:"kind"`
	Reason string  `json:"reason"`
	DryRun bool    `json:"dry_run"`
	// People is the number of SourceIDs of an incremental run.
	People int       `json:"people,omitempty"`
	Since  time.Time `json:"since"`
}

// QueuedRun is a request waiting for the run in flight to end.
type QueuedRun struct {
	Kind   RunKind   `json:"kind"`
	Reason string    `json:"reason"`
	DryRun bool      `json:"dry_run"`
	People int       `json:"people,omitempty"`
	Since  time.Time `json:"since"`
}

// RunRecord is the outcome of a finished run.
type RunRecord struct {
	Kind     RunKind   `json:"kind"`
	Reason   string    `json:"reason"`
	DryRun   bool      `json:"dry_run"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Outcome  string    `json:"outcome"`
	Error    string    `json:"error,omitempty"`
}

// NextRun is when a schedule fires next.
type NextRun struct {
	Name   string    `json:"name"`
	Mode   RunKind   `json:"mode"`
	DryRun bool      `json:"dry_run"`
	Next   time.Time `json:"next"`
}

// EngineStatus is a snapshot of the Engine, shaped for /status.
type EngineStatus struct {
	Running *RunningRun `json:"running,omitempty"`
	Queued  []QueuedRun `json:"queued,omitempty"`
	// Last is the last finished run for each reason (schedule name,
	// "change notification", ...); a merged run counts for each of its
	// reasons.
	Last map[string]RunRecord `json:"last,omitempty"`
	// LastByKind is the last finished run of each kind.
	LastByKind map[RunKind]RunRecord `json:"last_by_kind,omitempty"`
	// LastRun is the last finished run of any reason.
	LastRun *RunRecord `json:"last_run,omitempty"`
	// LastSuccess is when the last successful run finished.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// ConsecutiveFailures counts the failed runs since the last success:
	// above zero, the daemon is not applying changes.
	ConsecutiveFailures int       `json:"consecutive_failures"`
	NextRuns            []NextRun `json:"next_runs"`
}

// history is what the Engine remembers of finished runs.
type history struct {
	last        map[string]RunRecord
	lastByKind  map[RunKind]RunRecord
	lastRun     *RunRecord
	lastSuccess time.Time
	failures    int
}

// finish records p's outcome, hands it to p's waiters and reports a failure.
func (e *Engine) finish(p *pending, err error, cancelled bool) {
	e.mu.Lock()
	rec := RunRecord{Kind: p.req.Kind, Reason: p.req.Reason, DryRun: p.req.DryRun,
		Started: e.running.Since, Finished: e.clock.Now(), Outcome: OutcomeOK}
	switch {
	case cancelled:
		rec.Outcome = OutcomeCancelled
	case err != nil:
		rec.Outcome = OutcomeFailed
		e.status.failures++
	default:
		e.status.failures = 0
		e.status.lastSuccess = rec.Finished
	}
	if err != nil {
		rec.Error = err.Error()
	}
	for _, r := range p.reasons {
		e.status.last[r] = rec
	}
	e.status.lastByKind[rec.Kind] = rec
	e.status.lastRun = &rec
	e.running = nil
	failures, onFail := e.status.failures, e.onFailFn
	e.mu.Unlock()

	p.resolve(err)
	log := e.log.WithFields(logrus.Fields{"kind": rec.Kind, "reason": rec.Reason, "dry_run": rec.DryRun,
		"seconds": rec.Finished.Sub(rec.Started).Seconds()})
	switch rec.Outcome {
	case OutcomeCancelled:
		log.WithError(err).Warn("run cancelled at stop")
	case OutcomeFailed:
		log.WithError(err).WithField("consecutive_failures", failures).Error("run failed: nothing more is applied until a run succeeds")
		if onFail != nil {
			onFail(err, failures)
		}
	default:
		log.Info("run finished")
	}
}

// Status returns a snapshot of the Engine.
func (e *Engine) Status() EngineStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := EngineStatus{
		Last:                maps.Clone(e.status.last),
		LastByKind:          maps.Clone(e.status.lastByKind),
		LastSuccess:         e.status.lastSuccess,
		ConsecutiveFailures: e.status.failures,
		NextRuns:            e.nextRuns(),
	}
	if e.running != nil {
		r := *e.running
		st.Running = &r
	}
	if e.status.lastRun != nil {
		r := *e.status.lastRun
		st.LastRun = &r
	}
	for _, p := range e.queue {
		st.Queued = append(st.Queued, QueuedRun{Kind: p.req.Kind, Reason: p.req.Reason, DryRun: p.req.DryRun,
			People: len(p.req.SourceIDs), Since: p.since})
	}
	return st
}

// NextRuns returns when each schedule fires next, in configuration order.
func (e *Engine) NextRuns() []NextRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.nextRuns()
}

// nextRuns needs e.mu. Before the schedules start (and for a schedule cron
// has not placed yet) the next time is computed from the spec.
func (e *Engine) nextRuns() []NextRun {
	out := make([]NextRun, 0, len(e.sched.entries))
	now := e.clock.Now().In(e.sched.loc)
	for _, en := range e.sched.entries {
		next := e.sched.s.Entry(en.id).Next
		if next.IsZero() {
			next = en.sched.Next(now)
		}
		out = append(out, NextRun{Name: en.cfg.Name, Mode: en.cfg.Mode, DryRun: en.cfg.DryRun, Next: next})
	}
	return out
}
