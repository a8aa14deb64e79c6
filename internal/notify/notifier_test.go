package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// step is one run outcome: "f" failed, "g" guard refusal, "s" success.
func TestStreak(t *testing.T) {
	for _, tc := range []struct {
		min   int
		steps string
		want  string // the events sent, one letter each: F run_failed, G guard_tripped, R recovered, . none
	}{
		{1, "ffs", "F.R"},
		{1, "sfs", ".FR"},
		{3, "ffs", "..."},
		{3, "fffffs", "..F..R"},
		{1, "gggs", "G..R"},
		{3, "ggs", "G.R"},
		{1, "fgfgs", "FGFGR"},
		{2, "fsffs", "...FR"},
		{1, "ffsff", "F.RF."},
	} {
		s := streak{min: tc.min}
		got, consecutive := "", 0
		for _, c := range tc.steps {
			if c == 's' {
				consecutive = 0
				if _, ok := s.success(); ok {
					got += "R"
				} else {
					got += "."
				}
				continue
			}
			consecutive++
			kind, ok := s.failure(consecutive, c == 'g')
			switch {
			case !ok:
				got += "."
			case kind == GuardTripped:
				got += "G"
			default:
				got += "F"
			}
		}
		if got != tc.want {
			t.Errorf("min %d, %s: sent %s, want %s", tc.min, tc.steps, got, tc.want)
		}
	}
}

// chanSender hands each event to the test.
type chanSender struct {
	got chan Event
	err error
}

func (c *chanSender) Send(_ context.Context, e Event) error { c.got <- e; return c.err }

func TestNotifierSendsInTheBackground(t *testing.T) {
	s := &chanSender{got: make(chan Event)}
	log := logrus.New()
	log.SetOutput(io.Discard)
	n := New(Config{MinFailures: 2}, s, "scim", log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Run(ctx) }()

	n.Failed(errors.New("source: connection refused"), 1, false) // below min_failures
	n.Failed(errors.New("source: connection refused"), 2, false)
	e := <-s.got
	if e.Event != RunFailed || e.ConsecutiveFailures != 2 || e.Target != "scim" || e.Error != "source: connection refused" ||
		e.Hint != hintFailed || e.Time.IsZero() {
		t.Errorf("run_failed event %+v", e)
	}
	guard := fmt.Errorf("target scim: %w", errors.New("guard tripped: rerun with --allow-deletes 30"))
	n.Failed(guard, 3, true)
	if e := <-s.got; e.Event != GuardTripped || !strings.Contains(e.Error, "--allow-deletes 30") || e.Hint != hintGuard {
		t.Errorf("guard_tripped event %+v", e)
	}
	n.Succeeded()
	if e := <-s.got; e.Event != Recovered || e.ConsecutiveFailures != 3 || e.Error != "" {
		t.Errorf("recovered event %+v", e)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNotifierNeverBlocks(t *testing.T) {
	s := &chanSender{got: make(chan Event)} // nobody runs the notifier
	log := logrus.New()
	log.SetOutput(io.Discard)
	n := New(Config{}, s, "", log)
	for i := range queueSize + 5 {
		n.Failed(errors.New("x"), 1, i%2 == 0) // alternating causes: one event each
	}
	if len(n.queue) != queueSize {
		t.Errorf("queue holds %d, want %d", len(n.queue), queueSize)
	}
	var nilN *Notifier
	nilN.Failed(errors.New("x"), 1, false)
	nilN.Succeeded()
}
