package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeDaemon is the run of serviceLoop: it reports that it started, and
// once its context is done it waits for finish (the run in flight) and
// returns its error.
type fakeDaemon struct {
	started, cancelled chan struct{}
	finish             chan error
}

func newFakeDaemon() *fakeDaemon {
	return &fakeDaemon{started: make(chan struct{}), cancelled: make(chan struct{}), finish: make(chan error)}
}

func (f *fakeDaemon) run(ctx context.Context) error {
	close(f.started)
	<-ctx.Done()
	close(f.cancelled)
	return <-f.finish
}

// loopResult starts serviceLoop in the background.
func startLoop(f *fakeDaemon, stop chan struct{}, after func(time.Duration) <-chan time.Time) (<-chan error, <-chan servicePhase) {
	res, phases := make(chan error, 1), make(chan servicePhase, 2)
	go func() {
		res <- serviceLoop(context.Background(), f.run, stop, 20*time.Second, after, func(p servicePhase) { phases <- p })
	}()
	return res, phases
}

// TestServiceLoopStopWaitsForTheRun: a stop reports StopPending, cancels
// the daemon's context, and returns only when the daemon (its run in
// flight) has returned.
func TestServiceLoopStopWaitsForTheRun(t *testing.T) {
	f, stop := newFakeDaemon(), make(chan struct{})
	var waited time.Duration
	after := func(d time.Duration) <-chan time.Time { waited = d; return make(chan time.Time) }
	res, phases := startLoop(f, stop, after)
	<-f.started
	if p := <-phases; p != phaseRunning {
		t.Fatalf("first phase %d, want running", p)
	}
	close(stop)
	if p := <-phases; p != phaseStopping {
		t.Fatalf("second phase %d, want stopping", p)
	}
	<-f.cancelled
	select {
	case err := <-res:
		t.Fatalf("serviceLoop returned %v while the run was in flight", err)
	default:
	}
	f.finish <- nil
	if err := <-res; err != nil {
		t.Fatalf("serviceLoop: %v", err)
	}
	if want := 20*time.Second + serviceStopMargin; waited != want {
		t.Errorf("waited for at most %s, want stop_grace and the margin, %s", waited, want)
	}
}

// TestServiceLoopStopIsBounded: a daemon that outlives stop_grace and the
// margin is given up on, with an error.
func TestServiceLoopStopIsBounded(t *testing.T) {
	f, stop, fire := newFakeDaemon(), make(chan struct{}), make(chan time.Time, 1)
	res, _ := startLoop(f, stop, func(time.Duration) <-chan time.Time { return fire })
	close(stop)
	<-f.cancelled
	fire <- time.Time{}
	err := <-res
	if err == nil || !strings.Contains(err.Error(), "did not stop within daemon.stop_grace (20s)") {
		t.Fatalf("serviceLoop: %v, want the daemon given up on", err)
	}
	f.finish <- nil // let the fake's goroutine end
}

// TestServiceLoopDaemonFails: a daemon that stops on its own (a fatal
// error) ends the loop with that error, without a stop.
func TestServiceLoopDaemonFails(t *testing.T) {
	boom := errors.New("watch: bind refused")
	res, phases := make(chan error, 1), make(chan servicePhase, 2)
	run := func(context.Context) error { return boom }
	go func() {
		res <- serviceLoop(context.Background(), run, make(chan struct{}), time.Second, nil, func(p servicePhase) { phases <- p })
	}()
	if err := <-res; !errors.Is(err, boom) {
		t.Fatalf("serviceLoop: %v, want %v", err, boom)
	}
	close(phases)
	for p := range phases {
		if p != phaseRunning {
			t.Errorf("phase %d reported, want only running", p)
		}
	}
}
