package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
)

// errNotSent is the error of a write whose intent was on record when the
// phase stopped (another write failed), and which was not sent.
var errNotSent = errors.New("not sent: the run stopped after another write failed")

// writeSlots bounds the target writes in flight at once in a concurrent
// phase. The phase runs twice as many workers as slots: a worker records
// its write's intent (the state's sync to disk) while the others' writes
// are in flight, and takes a slot only to send it, so that the target
// sees up to Concurrency writes at once and the syncs do not hold them
// up.
type writeSlots struct {
	free chan struct{}
	stop chan struct{} // closed when the phase stops
	once gosync.Once
}

func newWriteSlots(n int) *writeSlots {
	return &writeSlots{free: make(chan struct{}, n), stop: make(chan struct{})}
}

// halt stops the phase: no write waiting for a slot is sent.
func (s *writeSlots) halt() { s.once.Do(func() { close(s.stop) }) }

// halted reports whether the phase stopped.
func (s *writeSlots) halted() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// send calls fn in a slot: it waits for one and returns, without calling
// fn, errNotSent once the phase stopped or ctx's error (wrapped: "not
// sent") once ctx is done. An error of fn that is not about its one object
// stops the phase before the slot is freed, so that no write waiting for
// one is sent after it. Without slots (one write at a time) it calls fn.
func (s *writeSlots) send(ctx context.Context, fn func(context.Context) error) error {
	if s == nil {
		return fn(ctx)
	}
	select {
	case s.free <- struct{}{}:
	case <-s.stop:
		return errNotSent
	case <-ctx.Done():
		return fmt.Errorf("not sent: %w", ctx.Err())
	}
	defer func() { <-s.free }()
	if s.halted() {
		return errNotSent
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("not sent: %w", err)
	}
	err := fn(ctx)
	if err != nil && !perObject(err) {
		s.halt()
	}
	return err
}
