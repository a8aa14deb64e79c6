package main

import (
	"context"
	"fmt"
	"time"
)

// servicePhase is what a service tells its service manager.
type servicePhase int

const (
	phaseRunning  servicePhase = iota + 1 // started, accepting stop requests
	phaseStopping                         // a stop was requested; the daemon is finishing its run
)

// serviceLoop is the platform-independent core of the Windows service
// handler (service_windows.go): it runs run (the daemon) until it returns
// or stop is closed. On stop it reports phaseStopping and cancels run's
// context, which lets the run in flight finish for grace (the daemon's
// engine bounds it so); it returns run's error, or an error when run has
// not returned after grace plus stopMargin (after is the clock's timer).
func serviceLoop(ctx context.Context, run func(context.Context) error, stop <-chan struct{},
	grace time.Duration, after func(time.Duration) <-chan time.Time, report func(servicePhase)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	report(phaseRunning)
	select {
	case err := <-done:
		return err
	case <-stop:
	}
	report(phaseStopping)
	cancel()
	select {
	case err := <-done:
		return err
	case <-after(grace + serviceStopMargin):
		return fmt.Errorf("service: the daemon did not stop within daemon.stop_grace (%s) and %s", grace, serviceStopMargin)
	}
}

// serviceStopMargin is how much longer than daemon.stop_grace a stopping
// service waits for the daemon before it gives up on it.
const serviceStopMargin = 15 * time.Second
