package notify

import (
	"context"
	gosync "sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Hints sent with each kind of event.
const (
	hintFailed = "Fix the cause named in the error; the daemon keeps trying on its schedule " +
		"and notifies again when a run succeeds. `idsync status` shows the last runs."
	hintGuard = "Review the plan with `idsync plan`; the error names the guard and how to let " +
		"this change through once (idsync apply --allow-...) or which limit to raise."
	hintRecovered = "No action needed."
)

// queueSize bounds the events waiting to be sent; more are dropped (logged).
const queueSize = 8

// sendBound bounds the delivery of one event, retries included.
const sendBound = 2 * time.Minute

// Notifier turns run outcomes into events and sends them in the
// background: Failed and Succeeded never block. Per failure streak (the
// failed runs between two successes) it sends one event per cause: a
// run_failed when the streak reaches MinFailures, a guard_tripped at the
// first guard refusal (at once, whatever MinFailures), and again only if
// the cause changes; then one recovered at the next success. A nil
// *Notifier does nothing.
type Notifier struct {
	sender Sender
	target string
	log    logrus.FieldLogger
	now    func() time.Time
	queue  chan Event

	mu     gosync.Mutex
	streak streak
}

// New returns a Notifier sending through s. target names the targets the
// runs apply to, for the events; cfg gives MinFailures.
func New(cfg Config, s Sender, target string, log logrus.FieldLogger) *Notifier {
	cfg = cfg.withDefaults()
	return &Notifier{sender: s, target: target, log: log, now: time.Now,
		queue: make(chan Event, queueSize), streak: streak{min: cfg.MinFailures}}
}

// Failed records a failed run: consecutive counts the failed runs in a row
// (1 for the first), guard says a guard refused the plan.
func (n *Notifier) Failed(err error, consecutive int, guard bool) {
	if n == nil {
		return
	}
	n.mu.Lock()
	kind, ok := n.streak.failure(consecutive, guard)
	n.mu.Unlock()
	if !ok {
		return
	}
	hint := hintFailed
	if kind == GuardTripped {
		hint = hintGuard
	}
	n.enqueue(Event{Event: kind, ConsecutiveFailures: consecutive, Error: err.Error(), Hint: hint})
}

// Succeeded records a successful run.
func (n *Notifier) Succeeded() {
	if n == nil {
		return
	}
	n.mu.Lock()
	failures, ok := n.streak.success()
	n.mu.Unlock()
	if ok {
		n.enqueue(Event{Event: Recovered, ConsecutiveFailures: failures, Hint: hintRecovered})
	}
}

// enqueue stamps e and queues it, dropping it when the queue is full.
func (n *Notifier) enqueue(e Event) {
	e.Target, e.Time = n.target, n.now().UTC()
	select {
	case n.queue <- e:
	default:
		n.log.WithField("event", e.Event).Warn("notify: queue full, notification dropped")
	}
}

// Run sends the queued events until ctx is done. A failed send is logged
// at warn level and not retried further.
func (n *Notifier) Run(ctx context.Context) error {
	if n == nil {
		<-ctx.Done()
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-n.queue:
			n.send(ctx, e)
		}
	}
}

// send delivers one event within sendBound.
func (n *Notifier) send(ctx context.Context, e Event) {
	ctx, cancel := context.WithTimeout(ctx, sendBound)
	defer cancel()
	if err := n.sender.Send(ctx, e); err != nil {
		n.log.WithError(err).WithField("event", e.Event).Warn("notify: notification not sent")
		return
	}
	n.log.WithField("event", e.Event).Info("notify: notification sent")
}

// streak is the state of one failure streak.
type streak struct {
	min      int
	failures int
	notified string // the kind of the last event sent in this streak
}

// failure records a failed run and returns the kind of event to send, if any.
func (s *streak) failure(consecutive int, guard bool) (string, bool) {
	s.failures = consecutive
	kind := RunFailed
	if guard {
		kind = GuardTripped
	} else if consecutive < s.min {
		return "", false
	}
	if s.notified == kind {
		return "", false
	}
	s.notified = kind
	return kind, true
}

// success ends the streak; it reports its length and whether it was
// notified (so a recovered event is due).
func (s *streak) success() (int, bool) {
	failures, notified := s.failures, s.notified != ""
	*s = streak{min: s.min}
	return failures, notified
}
