package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// gathered returns the idsync_ samples of m as "name{k=v,...} value".
func gathered(t *testing.T, m *admin.Metrics) []string {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), "idsync_") || f.GetName() == "idsync_run_duration_seconds" ||
			f.GetName() == "idsync_last_success_timestamp_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := s.GetCounter().GetValue() + s.GetGauge().GetValue()
			out = append(out, fmt.Sprintf("%s{%s} %g", f.GetName(), strings.Join(labels, ","), v))
		}
	}
	sort.Strings(out)
	return out
}

// TestRecordMetrics: a run's Outcome and error become run, change and
// guard metrics for every target, including those that failed before they
// planned.
func TestRecordMetrics(t *testing.T) {
	plan := &sync.Plan{Target: "a", Summary: sync.Summary{SourcePeople: 7}, Changes: []sync.Change{
		{Kind: sync.Joiner, Action: sync.Create}, {Kind: sync.Leaver, Action: sync.Disable}, {Kind: sync.Orphan, Action: sync.Report}}}
	guard := fmt.Errorf("%w: 60 accounts would be disabled or deleted, more than guards.max_deletes = 50", sync.ErrGuard)
	for _, c := range []struct {
		name string
		out  *sync.Outcome
		err  error
		want []string
	}{
		{"applied, refused by a guard, failed", &sync.Outcome{Plans: []*sync.Plan{plan}, Results: []sync.Result{{Status: "applied", Applied: 2}}},
			errors.Join(fmt.Errorf("target b: %w", guard), errors.New("target c: list users: 503")), []string{
				"idsync_changes_total{action=create,kind=joiner,outcome=applied,target=a} 1",
				"idsync_changes_total{action=disable,kind=leaver,outcome=applied,target=a} 1",
				"idsync_consecutive_failed_runs{target=a} 0",
				"idsync_consecutive_failed_runs{target=b} 1",
				"idsync_consecutive_failed_runs{target=c} 1",
				"idsync_guard_trips_total{guard=max_deletes,target=b} 1",
				"idsync_run_failures_total{stage=target,target=c} 1",
				"idsync_runs_total{mode=full,status=applied,target=a} 1",
				"idsync_runs_total{mode=full,status=failed,target=c} 1",
				"idsync_runs_total{mode=full,status=refused,target=b} 1",
				"idsync_source_entries_read_total{source=ldap} 7",
			}},
		{"source read failed", nil, errors.New("ldap: read: connection refused"), []string{
			"idsync_consecutive_failed_runs{target=a} 1",
			"idsync_consecutive_failed_runs{target=b} 1",
			"idsync_consecutive_failed_runs{target=c} 1",
			"idsync_run_failures_total{stage=source,target=a} 1",
			"idsync_run_failures_total{stage=source,target=b} 1",
			"idsync_run_failures_total{stage=source,target=c} 1",
			"idsync_runs_total{mode=full,status=failed,target=a} 1",
			"idsync_runs_total{mode=full,status=failed,target=b} 1",
			"idsync_runs_total{mode=full,status=failed,target=c} 1",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := admin.NewMetrics()
			counts := recordMetrics(m, "ldap", []string{"a", "b", "c"}, c.out, c.err, time.Second, time.Now())
			if got := gathered(t, m); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("metrics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if c.out != nil && counts["a"] != (admin.RunCounts{Changes: 2, Applied: 2}) {
				t.Errorf("counts of a = %+v", counts["a"])
			}
		})
	}
}

// TestSummarize: per target, the last success, the failures since it, the
// last error, and each run's trigger from the daemon's history (runs it did
// not make were made by hand).
func TestSummarize(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	runs := []state.Run{ // newest first
		{ID: 6, Target: "a", Mode: state.ModeApply, Started: at(50), Status: state.StatusRunning},
		{ID: 5, Target: "a", Mode: state.ModeApply, Started: at(40), Finished: at(41), Status: state.StatusRefused, Error: "guard tripped"},
		{ID: 4, Target: "a", Mode: state.ModeApply, Started: at(30), Finished: at(31), Status: state.StatusFailed, Error: "503"},
		{ID: 3, Target: "a", Mode: state.ModePlan, Started: at(20), Finished: at(21), Status: state.StatusPlanned},
		{ID: 2, Target: "a", Mode: state.ModeApply, Started: at(10), Finished: at(11), Status: state.StatusPartial},
		{ID: 1, Target: "a", Mode: state.ModeApply, Started: at(0), Finished: at(1), Status: state.StatusApplied, SourceCount: 9},
	}
	var h runHistory
	h.begin(reasonStartup, at(0).Add(-time.Second))
	h.end(at(1), map[string]admin.RunCounts{"a": {Changes: 3, Applied: 3}})
	h.begin("nightly, "+reasonWatch, at(30))
	h.end(at(31), nil)
	h.begin(reasonWatch, at(40))
	h.end(at(41), nil)
	h.begin("nightly", at(50))

	var ts admin.TargetStatus
	summarize(&ts, runs, &h)
	if ts.ConsecutiveFailures != 2 || ts.LastSuccess == nil || !ts.LastSuccess.Equal(at(21)) {
		t.Errorf("failures %d, last success %v; want 2 and %v", ts.ConsecutiveFailures, ts.LastSuccess, at(21))
	}
	if ts.LastError != nil {
		t.Errorf("last error %+v while a run is in flight", ts.LastError)
	}
	var got []string
	for _, r := range ts.LastRuns {
		got = append(got, fmt.Sprintf("%d %s %s dry=%v", r.ID, r.Trigger, r.Status, r.DryRun))
	}
	want := "6 schedule running dry=false,5 watch refused dry=false,4 schedule failed dry=false,3 manual planned dry=true,2 manual partial dry=false"
	if strings.Join(got, ",") != want {
		t.Errorf("runs:\n%s\nwant:\n%s", strings.Join(got, ","), want)
	}
	ts = admin.TargetStatus{}
	summarize(&ts, runs[1:], &h)
	if ts.LastError == nil || ts.LastError.Message != "guard tripped" {
		t.Errorf("last error = %+v", ts.LastError)
	}
	ts = admin.TargetStatus{}
	summarize(&ts, runs[5:], &h)
	if r := ts.LastRuns[0]; r.Trigger != "startup" || r.Counts != (admin.RunCounts{Read: 9, Changes: 3, Applied: 3}) {
		t.Errorf("first run = %+v", r)
	}
}
