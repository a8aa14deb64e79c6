package sync

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the time zones below, on any machine

	"github.com/sirupsen/logrus/hooks/test"

	"github.com/idsync/idsync/internal/duration"
)

var twoSchedules = EngineConfig{Schedules: []ScheduleConfig{
	{Name: "nightly", Cron: "0 2 * * *", Mode: RunFull},
	{Name: "poll", Cron: "@every 5m", Mode: RunIncremental, DryRun: true},
}}

// TestEngineScheduleFires: a schedule's job asks for its run (kind, reason,
// dry run from the configuration) and returns when the run has ended.
func TestEngineScheduleFires(t *testing.T) {
	h := newHarness(t, twoSchedules, nil)
	h.start()
	jobDone := make(chan struct{})
	go func() {
		h.sched(0).jobs[1].Run()
		close(jobDone)
	}()
	got := <-h.run.started
	want := Request{Kind: RunIncremental, Reason: "poll", DryRun: true}
	if got.Kind != want.Kind || got.Reason != want.Reason || got.DryRun != want.DryRun || got.SourceIDs != nil {
		t.Fatalf("scheduled run = %+v, want %+v", got, want)
	}
	select {
	case <-jobDone:
		t.Fatal("the job returned before its run ended")
	default:
	}
	h.run.results <- nil
	<-jobDone
	if started, _ := h.sched(0).state(); !started {
		t.Fatal("schedules not started by Run")
	}
}

// TestEngineScheduleSkipsWhileRunning: a schedule that fires while its last
// run is still going skips its turn (cron's SkipIfStillRunning) instead of
// queueing another run.
func TestEngineScheduleSkipsWhileRunning(t *testing.T) {
	h := newHarness(t, twoSchedules, nil)
	h.start()
	nightly := h.sched(0).jobs[0]
	jobDone := make(chan struct{})
	go func() {
		nightly.Run()
		close(jobDone)
	}()
	<-h.run.started
	skipDone := make(chan struct{})
	go func() {
		nightly.Run() // returns at once: skipped
		close(skipDone)
	}()
	// Either the turn is skipped (the job returns) or it is queued.
	for skipping := true; skipping; runtime.Gosched() {
		select {
		case <-skipDone:
			skipping = false
		default:
			if q := h.e.Status().Queued; len(q) != 0 {
				t.Fatalf("a turn was queued while the last one was running: %+v", q)
			}
		}
	}
	skipped := false
	for _, e := range h.logs.AllEntries() {
		skipped = skipped || strings.Contains(e.Message, "skipped its turn")
	}
	if !skipped {
		t.Fatal("no log line for the skipped turn")
	}
	h.run.results <- nil
	<-jobDone

	go nightly.Run() // the next turn runs again
	if got := <-h.run.started; got.Reason != "nightly" {
		t.Fatalf("next run = %+v", got)
	}
	h.run.results <- nil
}

// TestEngineNextRuns: next run times in the configured time zone, a
// CRON_TZ prefix winning over it.
func TestEngineNextRuns(t *testing.T) {
	cfg := EngineConfig{TimeZone: "Europe/Paris", Schedules: []ScheduleConfig{
		{Name: "nightly", Cron: "0 2 * * *", Mode: RunFull},
		{Name: "ny", Cron: "CRON_TZ=America/New_York 0 2 * * *", Mode: RunFull},
		{Name: "poll", Cron: "@every 5m", Mode: RunIncremental},
	}}
	h := newHarness(t, cfg, nil)
	want := []time.Time{
		time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC), // 02:00 CET
		time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC), // 02:00 EST
		testStart.Add(5 * time.Minute),
	}
	got := h.e.NextRuns()
	if len(got) != len(want) {
		t.Fatalf("NextRuns = %+v", got)
	}
	for i := range want {
		if !got[i].Next.Equal(want[i]) || got[i].Name != cfg.Schedules[i].Name {
			t.Errorf("NextRuns[%d] = %s %s, want %s", i, got[i].Name, got[i].Next.UTC(), want[i])
		}
	}
	if loc := h.sched(0).loc.String(); loc != "Europe/Paris" {
		t.Errorf("scheduler time zone = %s", loc)
	}
}

// TestEngineNextRunsFromCron: with the real cron started, NextRuns reports
// cron's own next time.
func TestEngineNextRunsFromCron(t *testing.T) {
	log, _ := test.NewNullLogger()
	cfg := EngineConfig{TimeZone: "UTC", Schedules: []ScheduleConfig{{Name: "nightly", Cron: "@daily", Mode: RunFull}}}
	e, err := NewEngine(cfg, func(context.Context, Request) error { return nil }, log)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	h := &harness{t: t, e: e, clk: newFakeClock(testStart)}
	h.start()
	if err := e.Do(t.Context(), full("manual")); err != nil { // Run has started cron
		t.Fatal(err)
	}
	next := e.NextRuns()[0].Next
	after := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	if !next.Equal(before) && !next.Equal(after) {
		t.Fatalf("next = %s, want the next midnight UTC (%s)", next, before)
	}
}

// TestEngineReload: a valid configuration replaces the schedules at once;
// an invalid one is refused and the old schedules keep running.
func TestEngineReload(t *testing.T) {
	h := newHarness(t, twoSchedules, nil)
	h.start()
	h.trigger(full("manual"))
	<-h.run.started // Run has started the schedules

	bad := EngineConfig{Schedules: []ScheduleConfig{{Name: "bad", Cron: "61 * * * *", Mode: RunFull}}}
	err := h.e.Reload(bad)
	if err == nil || !strings.Contains(err.Error(), `schedule "bad": cron: "61 * * * *"`) {
		t.Fatalf("Reload(invalid) = %v", err)
	}
	if n := h.e.NextRuns(); len(n) != 2 || n[0].Name != "nightly" {
		t.Fatalf("after a refused reload: %+v", n)
	}
	if started, stopped := h.sched(0).state(); !started || stopped {
		t.Fatal("the old schedules stopped after a refused reload")
	}

	good := EngineConfig{StopGrace: duration.Of(time.Minute), Schedules: []ScheduleConfig{{Name: "hourly", Cron: "@hourly", Mode: RunFull}}}
	if err := h.e.Reload(good); err != nil {
		t.Fatal(err)
	}
	if n := h.e.NextRuns(); len(n) != 1 || n[0].Name != "hourly" || !n[0].Next.Equal(testStart.Add(time.Hour)) {
		t.Fatalf("after reload: %+v", n)
	}
	h.e.mu.Lock()
	grace := h.e.grace
	h.e.mu.Unlock()
	if grace != time.Minute {
		t.Fatalf("stop grace after reload = %s", grace)
	}
	if _, stopped := h.sched(0).state(); !stopped {
		t.Fatal("old schedules still running")
	}
	if started, _ := h.sched(len(h.scheds) - 1).state(); !started {
		t.Fatal("new schedules not started")
	}
	// The run in flight is untouched by the reload.
	if st := h.e.Status(); st.Running == nil || st.Running.Reason != "manual" {
		t.Fatalf("running = %+v", st.Running)
	}
	h.run.results <- nil
}
