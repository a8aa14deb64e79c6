package main

import (
	"encoding/json"
	gosync "sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// signalWriter hands every write to the test.
type signalWriter chan string

func (w signalWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// fakeTicks is a ticker the test ticks.
func fakeTicks(c chan time.Time) func(time.Duration) (<-chan time.Time, func()) {
	return func(time.Duration) (<-chan time.Time, func()) { return c, func() {} }
}

// TestProgressTerminal: on a terminal the line is drawn at each tick
// (rewritten in place: carriage return, erase line) with the rate and the
// ETA measured on the clock, and ended with a newline when the apply ends.
func TestProgressTerminal(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	out, ticks := make(signalWriter, 4), make(chan time.Time)
	v := &progressView{term: out, every: time.Second, now: clk.now, ticker: fakeTicks(ticks)}
	m := v.Begin("slack", 200)
	for range 5 {
		clk.advance(time.Second)
		m.Add(4)
	}
	ticks <- clk.now()
	if got, want := <-out, "\r\033[Kapply slack: 20/200 (10%), 4.0/s, about 45s left"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	clk.advance(10 * time.Second)
	m.Add(180)
	v.End("slack")
	if got, want := <-out, "\r\033[Kapply slack: 200/200 (100%), 13.3/s, about 0s left\n"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
}

// TestProgressQuietWhenShort: an apply that ends before the first tick
// shows nothing.
func TestProgressQuietWhenShort(t *testing.T) {
	out := make(signalWriter, 4)
	v := &progressView{term: out, every: time.Second, now: (&fakeClock{}).now, ticker: fakeTicks(make(chan time.Time))}
	v.Begin("scim", 3).Add(3)
	v.End("scim")
	select {
	case s := <-out:
		t.Errorf("a short apply drew %q", s)
	default:
	}
}

// TestProgressLog: without a terminal (a log file, the daemon) each tick
// is a log line with the figures as fields.
func TestProgressLog(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	out, ticks := make(signalWriter, 4), make(chan time.Time)
	log := logrus.New()
	log.SetOutput(out)
	log.SetFormatter(&logrus.JSONFormatter{})
	v := &progressView{log: log, every: 30 * time.Second, now: clk.now, ticker: fakeTicks(ticks)}
	m := v.Begin("scim", 1000)
	for range 30 {
		clk.advance(time.Second)
		m.Add(10)
	}
	ticks <- clk.now()
	var line map[string]any
	if err := json.Unmarshal([]byte(<-out), &line); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"msg": "apply progress: 300/1000 (30%), 10.0/s, about 1m10s left", "target": "scim",
		"done": 300.0, "total": 1000.0, "percent": 30.0, "per_second": 10.0, "eta_seconds": 70.0, "elapsed_seconds": 30.0}
	for k, w := range want {
		if line[k] != w {
			t.Errorf("%s = %v, want %v", k, line[k], w)
		}
	}
	v.End("scim")
	select {
	case s := <-out:
		t.Errorf("the end of a logged apply wrote %q", s)
	default:
	}
}
