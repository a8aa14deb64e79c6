package main

import (
	"fmt"
	"io"
	"os"
	gosync "sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/progress"
	"github.com/idsync/idsync/sync"
)

// How often progress is shown: on a terminal, and in the log.
const (
	terminalEvery = 500 * time.Millisecond
	logEvery      = 30 * time.Second
)

// progressView shows how far applies have come (sync.Progress): on a
// terminal, one line on stderr rewritten in place with the rate and an
// ETA; elsewhere (a log file, the daemon), a log line now and then.
// Nothing is shown before the first interval has passed, so that a short
// apply stays quiet.
type progressView struct {
	// term, when set, is the terminal the line is drawn on; nil: log lines.
	term io.Writer
	log  logrus.FieldLogger
	// every is the interval between two showings.
	every time.Duration
	// now is the meters' clock; ticker makes the interval's ticks. Tests
	// replace both.
	now    func() time.Time
	ticker func(d time.Duration) (<-chan time.Time, func())

	mu   gosync.Mutex
	runs map[string]*shownApply
}

var _ sync.Progress = (*progressView)(nil)

// shownApply is one apply being shown.
type shownApply struct {
	meter *progress.Meter
	stop  chan struct{}
	done  chan struct{}
	drawn bool // a terminal line is on screen
}

// newProgressView returns the view for a command writing to stderr: a
// terminal line when stderr is a terminal, else log lines.
func newProgressView(stderr io.Writer, log logrus.FieldLogger) *progressView {
	if isTerminal(stderr) {
		return &progressView{term: stderr, log: log, every: terminalEvery}
	}
	return &progressView{log: log, every: logEvery}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Begin starts showing target's apply of steps steps.
func (v *progressView) Begin(target string, steps int) *progress.Meter {
	m := progress.New(steps, v.now)
	a := &shownApply{meter: m, stop: make(chan struct{}), done: make(chan struct{})}
	v.mu.Lock()
	if v.runs == nil {
		v.runs = map[string]*shownApply{}
	}
	v.runs[target] = a
	v.mu.Unlock()
	tick := v.ticker
	if tick == nil {
		tick = realTicker
	}
	c, stopTicker := tick(v.every)
	go func() {
		defer close(a.done)
		defer stopTicker()
		for {
			select {
			case <-a.stop:
				return
			case <-c:
				v.show(target, a)
			}
		}
	}()
	return m
}

// End stops showing target's apply; a terminal line is drawn one last
// time and ended.
func (v *progressView) End(target string) {
	v.mu.Lock()
	a := v.runs[target]
	delete(v.runs, target)
	v.mu.Unlock()
	if a == nil {
		return
	}
	close(a.stop)
	<-a.done
	if a.drawn {
		fmt.Fprintf(v.term, "\r\033[K%s\n", progressLine(target, a.meter.Snapshot()))
	}
}

// show draws or logs the apply's progress now.
func (v *progressView) show(target string, a *shownApply) {
	s := a.meter.Snapshot()
	if v.term != nil {
		fmt.Fprintf(v.term, "\r\033[K%s", progressLine(target, s))
		a.drawn = true
		return
	}
	v.log.WithFields(logrus.Fields(s.Fields())).WithField("target", target).Info("apply progress: " + s.String())
}

// progressLine is the terminal line of an apply:
// "apply scim: 1234/10000 (12%), 85.2/s, about 1m43s left".
func progressLine(target string, s progress.Snapshot) string {
	return "apply " + target + ": " + s.String()
}
