package progress

import (
	"sync"
	"testing"
	"time"
)

// clock is a fake clock moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestSnapshot(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := New(1000, c.now)
	if s := m.Snapshot(); s.Known || s.Rate != 0 || s.String() != "0/1000 (0%)" {
		t.Errorf("at the start: %+v %q", s, s)
	}
	// 10 a second for 10 seconds.
	for range 10 {
		c.advance(time.Second)
		m.Add(10)
	}
	s := m.Snapshot()
	if s.Done != 100 || s.Rate != 10 || !s.Known || s.ETA != 90*time.Second {
		t.Errorf("after 10s at 10/s: %+v", s)
	}
	if got, want := s.String(), "100/1000 (10%), 10.0/s, about 1m30s left"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	// The target slows to 1 a second: after a Window of it the rate and
	// the ETA follow, whatever the average since the start says.
	for range 40 {
		c.advance(time.Second)
		m.Add(1)
	}
	s = m.Snapshot()
	if s.Rate != 1 || s.ETA != 860*time.Second {
		t.Errorf("after %s at 1/s: rate %g, ETA %s; want 1/s and 14m20s", Window, s.Rate, s.ETA)
	}
	f := s.Fields()
	if f["done"] != 140 || f["percent"] != 14 || f["eta_seconds"] != 860.0 {
		t.Errorf("Fields = %v", f)
	}
}

func TestSnapshotEdges(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	m := New(0, c.now)
	if s := m.Snapshot(); s.Percent() != 100 || s.Known {
		t.Errorf("empty job: %+v", s)
	}
	m = New(5, c.now)
	m.Add(2) // under a second: no rate yet
	if s := m.Snapshot(); s.Known || s.Rate != 0 || s.Percent() != 40 {
		t.Errorf("under a second: %+v", s)
	}
	c.advance(2 * time.Second)
	m.Add(5) // more than the total: 100%, nothing left
	if s := m.Snapshot(); s.Percent() != 100 || s.ETA != 0 || !s.Known {
		t.Errorf("past the total: %+v", s)
	}
	c.advance(time.Hour) // stalled: the window holds no progress
	if s := m.Snapshot(); s.Known || s.Rate != 0 {
		t.Errorf("stalled for an hour: %+v", s)
	}
}

func TestConcurrentAdd(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	m := New(800, c.now)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				m.Add(1)
				c.advance(time.Millisecond)
				_ = m.Snapshot()
			}
		})
	}
	wg.Wait()
	if s := m.Snapshot(); s.Done != 800 {
		t.Errorf("Done = %d, want 800", s.Done)
	}
}
