package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// statusRuns is how many runs of each target /status lists.
const statusRuns = 5

// daemonRun is one run the daemon made: why, when, and its counts per
// target. The store's runs that fall within it are its runs; the others
// were made by hand (plan or apply beside the daemon).
type daemonRun struct {
	trigger  string
	started  time.Time
	finished time.Time // zero while running
	counts   map[string]admin.RunCounts
}

// runHistory keeps the daemon's recent runs, oldest first.
type runHistory struct{ runs []daemonRun }

const historySize = 64

func (h *runHistory) begin(reason string, at time.Time) {
	if len(h.runs) == historySize {
		h.runs = h.runs[1:]
	}
	h.runs = append(h.runs, daemonRun{trigger: trigger(reason), started: at})
}

func (h *runHistory) end(at time.Time, counts map[string]admin.RunCounts) {
	if n := len(h.runs); n > 0 {
		h.runs[n-1].finished, h.runs[n-1].counts = at, counts
	}
}

// of returns the daemon's run that made the store's run r, if any.
func (h *runHistory) of(r state.Run) (daemonRun, bool) {
	for i := len(h.runs) - 1; i >= 0; i-- {
		dr := h.runs[i]
		// The store keeps milliseconds.
		if !r.Started.Before(dr.started.Truncate(time.Millisecond)) && (dr.finished.IsZero() || !r.Started.After(dr.finished)) {
			return dr, true
		}
	}
	return daemonRun{}, false
}

// trigger maps a request's reason (the first of merged ones) to /status's
// trigger: startup, watch, manual, retry, date or schedule.
func trigger(reason string) string {
	first, _, _ := strings.Cut(reason, ", ")
	switch first {
	case reasonStartup:
		return "startup"
	case reasonWatch:
		return "watch"
	case "manual", reasonManual:
		return "manual"
	case reasonRetry:
		return "retry"
	case reasonDue:
		return "date"
	}
	return "schedule"
}

// guardKey finds the guard a refusal names ("guards.max_deletes").
var guardKey = regexp.MustCompile(`guards\.([a-z_]+)`)

// recordMetrics records a finished run of source and the targets named in
// the metrics and returns each target's counts. A target with no result
// failed before it planned: on the source read (out is nil), a guard, or
// the target.
func recordMetrics(m *admin.Metrics, source string, targets []string, out *sync.Outcome, err error, took time.Duration, end time.Time) map[string]admin.RunCounts {
	counts := map[string]admin.RunCounts{}
	results := map[string]int{}
	if out != nil && len(out.Plans) > 0 {
		m.EntriesRead(source, out.Plans[0].Summary.SourcePeople) // one read serves every target
	}
	if out != nil {
		for i, p := range out.Plans {
			results[p.Target] = i
		}
	}
	for _, t := range targets {
		rec := admin.RunRecord{Target: t, Mode: string(sync.RunFull), Duration: took, Finished: end}
		i, ok := results[t]
		if ok && out.Plans[i].Incremental != nil {
			rec.Mode = string(sync.RunIncremental)
		}
		switch {
		case ok:
			p, res := out.Plans[i], out.Results[i]
			rec.Status = res.Status
			if res.Status == state.StatusFailed {
				rec.Stage = "target"
			}
			counts[t] = admin.RunCounts{Changes: pending(p), Applied: res.Applied, Failed: res.Failed}
			if res.Status == state.StatusApplied {
				for _, c := range p.Changes {
					if c.Action != sync.Report {
						m.ChangeApplied(t, string(c.Kind), string(c.Action), "applied")
					}
				}
			}
		case out == nil:
			rec.Status, rec.Stage = state.StatusFailed, "source"
		default:
			rec.Status, rec.Stage = state.StatusFailed, "target"
			if terr := targetErr(err, t); errors.Is(terr, sync.ErrGuard) {
				rec.Status, rec.Stage = state.StatusRefused, ""
				for _, g := range guardKey.FindAllStringSubmatch(terr.Error(), -1) {
					m.GuardTripped(t, g[1])
				}
			}
		}
		m.RunFinished(rec)
	}
	return counts
}

// pending counts the changes of p that do something.
func pending(p *sync.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != sync.Report {
			n++
		}
	}
	return n
}

// targetErr picks target's error out of Runner.Run's joined errors, each
// "target NAME: ...".
func targetErr(err error, target string) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	for _, e := range j.Unwrap() {
		if strings.HasPrefix(e.Error(), "target "+target+": ") {
			return e
		}
	}
	return nil
}

// status is the /status document: the engine's state, and the store's
// recent runs of each target.
func (d *daemon) status(ctx context.Context) (admin.Status, error) {
	es := d.engine.Status()
	d.mu.Lock()
	cfg, hist, lastErr := d.cfg, runHistory{runs: append([]daemonRun(nil), d.history.runs...)}, d.lastErr
	policies := map[string]sync.Policy{}
	for _, t := range d.runner.Targets {
		policies[t.Name] = t.Policy
	}
	d.mu.Unlock()
	st := admin.Status{Generated: time.Now(), Started: d.started, LastError: lastErr, Targets: []admin.TargetStatus{}}
	next := nextRuns(cfg, es.NextRuns)
	if at := d.due.next(); !at.IsZero() {
		// A dated event falls then: a start or end date, a staged deletion.
		next = append(next, admin.NextRun{Schedule: reasonDue, Mode: string(sync.RunFull), At: at})
		slices.SortStableFunc(next, func(a, b admin.NextRun) int { return a.At.Compare(b.At) })
	}
	for _, t := range cfg.Targets {
		runs, err := d.store.Runs(ctx, t.Name, 20)
		if err != nil {
			return admin.Status{}, err
		}
		ts := admin.TargetStatus{Name: t.Name, Running: es.Running != nil, NextRuns: next, LastRuns: []admin.RunInfo{}}
		summarize(&ts, runs, &hist)
		ts.PendingDeletions, err = pendingDeletions(ctx, policies[t.Name], st.Generated, deletionSources{
			links: func(ctx context.Context, fn func(state.PlanLink) error) error {
				return d.store.InactiveLinks(ctx, t.Name, fn)
			},
			snapshot: func(ctx context.Context, fn func(state.SnapshotEntry) error) error {
				return d.store.DisabledInScope(ctx, t.Name, fn)
			},
		})
		if err != nil {
			return admin.Status{}, fmt.Errorf("pending deletions of target %s: %w", t.Name, err)
		}
		st.Targets = append(st.Targets, ts)
	}
	if d.watch != nil {
		w := d.watch.snapshot()
		st.Watcher = &w
	}
	return st, nil
}

// summarize fills ts from the target's runs in the store, newest first.
func summarize(ts *admin.TargetStatus, runs []state.Run, hist *runHistory) {
	succeeded := false
	for i, r := range runs {
		ok := r.Status == state.StatusApplied || r.Status == state.StatusPlanned
		switch {
		case ok && !succeeded:
			succeeded = true
			fin := r.Finished
			ts.LastSuccess = &fin
		case ok, succeeded, r.Status == state.StatusRunning:
		default:
			ts.ConsecutiveFailures++
		}
		if i == 0 && r.Error != "" && !ok {
			ts.LastError = &admin.ErrorInfo{Time: r.Finished, Target: r.Target, Message: r.Error}
		}
		if i < statusRuns {
			ts.LastRuns = append(ts.LastRuns, runInfo(r, hist))
		}
	}
}

// runInfo is r as /status shows it.
func runInfo(r state.Run, hist *runHistory) admin.RunInfo {
	info := admin.RunInfo{ID: r.ID, Mode: string(sync.RunFull), DryRun: r.Mode == state.ModePlan, Trigger: "manual",
		Started: r.Started, Status: r.Status, Counts: admin.RunCounts{Read: r.SourceCount}, Error: r.Error}
	if !r.Finished.IsZero() {
		fin := r.Finished
		info.Finished = &fin
	}
	if dr, ok := hist.of(r); ok {
		info.Trigger = dr.trigger
		if c, ok := dr.counts[r.Target]; ok {
			info.Counts = c
			info.Counts.Read = r.SourceCount
		}
	}
	return info
}

// nextRuns turns the engine's next runs into /status's, soonest first,
// with each schedule's cron spec from cfg.
func nextRuns(cfg *Config, runs []sync.NextRun) []admin.NextRun {
	spec := map[string]string{}
	for _, s := range cfg.Daemon.Schedules {
		spec[s.Name] = s.Cron
	}
	out := make([]admin.NextRun, 0, len(runs))
	for _, n := range runs {
		out = append(out, admin.NextRun{Schedule: n.Name, Mode: string(n.Mode), Spec: spec[n.Name], At: n.Next})
	}
	slices.SortStableFunc(out, func(a, b admin.NextRun) int { return a.At.Compare(b.At) })
	return out
}
