package sync

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
)

func inc(reason string, ids ...string) Request {
	return Request{Kind: RunIncremental, Reason: reason, SourceIDs: ids}
}

func full(reason string) Request { return Request{Kind: RunFull, Reason: reason} }

// TestEngineCoalescesTriggers: N triggers during a run make exactly one more
// run, over the union of their IDs.
func TestEngineCoalescesTriggers(t *testing.T) {
	h := newHarness(t, EngineConfig{}, nil)
	h.start()
	h.trigger(inc("change notification", "a"))
	if got := <-h.run.started; !reflect.DeepEqual(got.SourceIDs, []string{"a"}) {
		t.Fatalf("first run = %+v", got)
	}
	h.trigger(inc("change notification", "c", "b"))
	h.trigger(inc("change notification", "b"))
	last := h.submit(inc("change notification", "d", "a"))
	st := h.e.Status()
	if st.Running == nil || len(st.Queued) != 1 || st.Queued[0].People != 4 {
		t.Fatalf("status during the run: running %+v, queued %+v", st.Running, st.Queued)
	}

	h.run.results <- nil
	second := <-h.run.started
	want := inc("change notification", "a", "b", "c", "d")
	if !reflect.DeepEqual(second, want) {
		t.Fatalf("second run = %+v, want %+v", second, want)
	}
	h.run.results <- nil
	if err := <-last; err != nil {
		t.Fatal(err)
	}
	st = h.e.Status()
	if st.Running != nil || len(st.Queued) != 0 || len(h.run.started) != 0 {
		t.Fatalf("after the second run: running %+v, queued %+v, %d more started", st.Running, st.Queued, len(h.run.started))
	}
}

// TestEngineFullAbsorbsIncremental: a full request queued with incremental
// ones runs once, as a full run, and counts for every reason.
func TestEngineFullAbsorbsIncremental(t *testing.T) {
	h := newHarness(t, EngineConfig{}, nil)
	h.start()
	h.trigger(full("manual"))
	<-h.run.started
	h.trigger(inc("change notification", "a"))
	h.trigger(full("nightly"))
	last := h.submit(inc("change notification", "b"))
	h.run.results <- nil

	got := <-h.run.started
	want := Request{Kind: RunFull, Reason: "change notification, nightly"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("second run = %+v, want %+v", got, want)
	}
	h.run.results <- errTarget
	if err := <-last; !errors.Is(err, errTarget) {
		t.Fatalf("waiter got %v, want the run's error", err)
	}
	st := h.e.Status()
	for _, r := range []string{"change notification", "nightly"} {
		if rec := st.Last[r]; rec.Kind != RunFull || rec.Outcome != OutcomeFailed || rec.Error != errTarget.Error() {
			t.Errorf("Last[%q] = %+v", r, rec)
		}
	}
	if rec := st.Last["manual"]; rec.Outcome != OutcomeOK {
		t.Errorf("Last[manual] = %+v", rec)
	}
	if st.LastByKind[RunFull].Reason != want.Reason || st.ConsecutiveFailures != 1 {
		t.Errorf("LastByKind %+v, failures %d", st.LastByKind, st.ConsecutiveFailures)
	}
}

// TestEngineKeepsDryRunsApart: a dry run and a real run are never merged;
// queued runs go in arrival order.
func TestEngineKeepsDryRunsApart(t *testing.T) {
	h := newHarness(t, EngineConfig{}, nil)
	h.start()
	h.trigger(full("nightly"))
	<-h.run.started
	h.trigger(Request{Kind: RunFull, Reason: "manual", DryRun: true})
	h.trigger(inc("change notification", "a"))
	h.trigger(Request{Kind: RunIncremental, Reason: "manual", DryRun: true})
	if q := h.e.Status().Queued; len(q) != 2 || !q[0].DryRun || q[1].DryRun {
		t.Fatalf("queued = %+v", q)
	}
	h.run.results <- nil
	if got := <-h.run.started; !got.DryRun || got.Kind != RunFull {
		t.Fatalf("second run = %+v, want the dry full run", got)
	}
	h.run.results <- nil
	if got := <-h.run.started; got.DryRun || got.Kind != RunIncremental {
		t.Fatalf("third run = %+v, want the real incremental run", got)
	}
	h.run.results <- nil
}

// TestEngineSingleFlight: requests from many goroutines never run two runs
// at once.
func TestEngineSingleFlight(t *testing.T) {
	var inFlight, most, runs atomic.Int32
	run := func(ctx context.Context, req Request) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		runs.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		return nil
	}
	h := newHarness(t, EngineConfig{}, run)
	h.start()
	var wg gosync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := h.e.Do(t.Context(), inc("change notification", fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if most.Load() != 1 || runs.Load() < 1 || runs.Load() > 50 {
		t.Fatalf("at most %d runs at once over %d runs", most.Load(), runs.Load())
	}
}

// TestEnginePanicIsAFailure: a panicking run is recovered, recorded as a
// failure and reported; the Engine goes on.
func TestEnginePanicIsAFailure(t *testing.T) {
	var calls atomic.Int32
	run := func(ctx context.Context, req Request) error {
		if calls.Add(1) == 1 {
			panic("nil map")
		}
		return nil
	}
	h := newHarness(t, EngineConfig{}, run)
	var reported []int
	h.e.OnFailure = func(err error, n int) { reported = append(reported, n) }
	h.start()
	err := h.e.Do(t.Context(), full("manual"))
	if err == nil || !strings.Contains(err.Error(), "run panicked: nil map") {
		t.Fatalf("Do = %v", err)
	}
	if st := h.e.Status(); st.ConsecutiveFailures != 1 || st.LastRun.Outcome != OutcomeFailed {
		t.Fatalf("status = %+v", st)
	}
	if err := h.e.Do(t.Context(), full("manual")); err != nil {
		t.Fatalf("the run after the panic: %v", err)
	}
	if !reflect.DeepEqual(reported, []int{1}) {
		t.Fatalf("OnFailure calls = %v", reported)
	}
}

// TestEngineCountsFailures: failures in a row are counted, logged and
// reported; a success resets the count.
func TestEngineCountsFailures(t *testing.T) {
	h := newHarness(t, EngineConfig{}, nil)
	var reported []int
	h.e.OnFailure = func(err error, n int) {
		if !errors.Is(err, errTarget) {
			t.Errorf("OnFailure(%v)", err)
		}
		reported = append(reported, n)
	}
	h.start()
	for i, result := range []error{errTarget, errTarget, nil} {
		res := h.submit(full("nightly"))
		<-h.run.started
		h.run.results <- result
		<-res
		if want := []int{0: 1, 1: 2, 2: 0}[i]; h.e.Status().ConsecutiveFailures != want {
			t.Fatalf("after run %d: %d failures, want %d", i, h.e.Status().ConsecutiveFailures, want)
		}
	}
	if !reflect.DeepEqual(reported, []int{1, 2}) {
		t.Fatalf("OnFailure calls = %v", reported)
	}
	errorLines := 0
	for _, e := range h.logs.AllEntries() {
		if e.Level.String() == "error" && e.Data["consecutive_failures"] != nil {
			errorLines++
		}
	}
	st := h.e.Status()
	if errorLines != 2 || !st.LastSuccess.Equal(testStart) || st.LastRun.Outcome != OutcomeOK {
		t.Fatalf("%d error lines, status %+v", errorLines, st)
	}
}

// TestEngineRefuses: a second Run, an unknown kind.
func TestEngineRefuses(t *testing.T) {
	h := newHarness(t, EngineConfig{}, nil)
	h.start()
	h.trigger(full("manual"))
	<-h.run.started // Run has started
	if err := h.e.Run(t.Context()); err == nil {
		t.Error("a second Run was accepted")
	}
	if err := h.e.Trigger(Request{Kind: "partial"}); err == nil || !strings.Contains(err.Error(), `"partial"`) {
		t.Errorf("Trigger(kind partial) = %v", err)
	}
	h.run.results <- nil
}

// TestEngineStatusIsSafe runs Status, NextRuns, Trigger and Reload against
// runs; go test -race checks it.
func TestEngineStatusIsSafe(t *testing.T) {
	run := func(ctx context.Context, req Request) error { return nil }
	cfg := EngineConfig{Schedules: []ScheduleConfig{{Name: "poll", Cron: "@every 5m", Mode: RunIncremental}}}
	h := newHarness(t, cfg, run)
	h.start()
	var wg gosync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				switch (i + j) % 4 {
				case 0:
					_ = h.e.Status()
				case 1:
					_ = h.e.NextRuns()
				case 2:
					h.trigger(inc("change notification", fmt.Sprint(j)))
				default:
					if err := h.e.Reload(cfg); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := h.e.Do(t.Context(), full("manual")); err != nil {
		t.Fatal(err)
	}
}
