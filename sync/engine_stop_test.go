package sync

import (
	"context"
	"errors"
	"testing"
)

// TestEngineStopLetsTheRunCommit: a run that ends within the grace period
// ends normally, with a context that was never cancelled; queued requests
// fail with ErrStopped; Run returns.
func TestEngineStopLetsTheRunCommit(t *testing.T) {
	h := newHarness(t, EngineConfig{}, nil)
	h.start()
	inflight := h.submit(full("nightly"))
	<-h.run.started
	queued := h.submit(inc("change notification", "a"))

	h.cancel()
	<-h.clk.timers // the Engine now waits for the grace period
	select {
	case h.run.results <- nil:
	case err := <-h.run.ctxErrs:
		t.Fatalf("the run's context was cancelled within the grace period: %v", err)
	}
	if err := <-h.run.ctxErrs; err != nil {
		t.Fatalf("the run's context was cancelled within the grace period: %v", err)
	}
	if err := h.wait(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := <-inflight; err != nil {
		t.Fatalf("run in flight: %v", err)
	}
	if err := <-queued; !errors.Is(err, ErrStopped) {
		t.Fatalf("queued request: %v, want ErrStopped", err)
	}
	if err := h.e.Trigger(full("manual")); !errors.Is(err, ErrStopped) {
		t.Fatalf("Trigger after stop = %v", err)
	}
	st := h.e.Status()
	if st.LastRun == nil || st.LastRun.Outcome != OutcomeOK || len(st.Queued) != 0 || st.Running != nil {
		t.Fatalf("status = %+v", st)
	}
	if _, stopped := h.sched(0).state(); !stopped {
		t.Fatal("schedules not stopped")
	}
}

// TestEngineStopCancelsAfterGrace: a run still going when the grace period
// ends has its context cancelled; Run returns once it has ended.
func TestEngineStopCancelsAfterGrace(t *testing.T) {
	h := newHarness(t, EngineConfig{}, nil)
	h.start()
	h.trigger(full("nightly"))
	<-h.run.started
	h.cancel()
	timer := <-h.clk.timers
	timer <- h.clk.Now()
	if err := <-h.run.ctxErrs; !errors.Is(err, context.Canceled) {
		t.Fatalf("run context error = %v, want cancelled", err)
	}
	if err := h.wait(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	st := h.e.Status()
	if st.LastRun.Outcome != OutcomeCancelled || st.ConsecutiveFailures != 0 {
		t.Fatalf("status = %+v", st)
	}
}

// TestEngineStopWhenIdle: Run returns at once, with no grace timer.
func TestEngineStopWhenIdle(t *testing.T) {
	h := newHarness(t, EngineConfig{}, nil)
	h.start()
	res := h.submit(full("manual"))
	<-h.run.started
	h.run.results <- nil
	<-res
	if err := h.stopAndWait(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := len(h.clk.timers); n != 0 {
		t.Fatalf("%d grace timers for an idle stop", n)
	}
}
