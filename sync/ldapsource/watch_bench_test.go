package ldapsource

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// BenchmarkWatchLatency measures how long a change takes to reach the
// watcher's fn: each op is 100 Modify requests made one after another with
// go-ldap against a slapd with IDSYNC_BENCH_USERS people (default 100,000),
// each waiting for its event before the next. Reported, over all changes:
// the percentiles of the time from Modify returning to fn being called
// (negative when the event arrived before the modify response was
// processed) and from Modify being called.
//
//	go test ./sync/ldapsource -run XXX -bench WatchLatency -benchtime 3x
func BenchmarkWatchLatency(b *testing.B) {
	srv, users := benchServer(b)
	admin := srv.Conn(b)
	// The reader has a size limit: the first refresh needs none.
	cfg := benchSource(b, srv, DefaultPageSize).cfg
	cfg.BindDN = srv.AdminDN
	if err := os.WriteFile(cfg.BindPassword.File, []byte(srv.AdminPassword), 0o600); err != nil {
		b.Fatal(err)
	}
	got := make(chan received, 16)
	r := startWatchFn(b, cfg, func(e Event) error {
		now := time.Now()
		for _, id := range e.Changed {
			got <- received{id, now}
		}
		if e.Full {
			got <- received{"full", now}
		}
		return nil
	})
	waitReceived(b, got, "full")
	b.Logf("initial refresh done")
	const changes = 100
	var fromReturn, fromCall []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < changes; j++ {
			n := (i*changes + j) % users
			req := ldap.NewModifyRequest(slapdtest.UserDN(n), nil)
			req.Replace("title", []string{"t" + strconv.Itoa(i*changes+j)})
			called := time.Now()
			if err := admin.Modify(req); err != nil {
				b.Fatal(err)
			}
			returned := time.Now()
			at := waitReceived(b, got, slapdtest.UserUUID(n))
			fromReturn = append(fromReturn, at.Sub(returned))
			fromCall = append(fromCall, at.Sub(called))
		}
	}
	b.StopTimer()
	r.stop(b)
	report(b, "return", fromReturn)
	report(b, "call", fromCall)
}

type received struct {
	id string
	at time.Time
}

func waitReceived(b *testing.B, got <-chan received, id string) time.Time {
	b.Helper()
	timeout := time.After(waitFor)
	for {
		select {
		case r := <-got:
			if r.id == id {
				return r.at
			}
		case <-timeout:
			b.Fatalf("no event for %s within %v", id, waitFor)
		}
	}
}

// report sets the p50, p95 and p99 of d in µs as the benchmark's metrics.
func report(b *testing.B, name string, d []time.Duration) {
	slices.Sort(d)
	for _, p := range []int{50, 95, 99} {
		v := d[min(len(d)-1, len(d)*p/100)]
		b.ReportMetric(float64(v.Nanoseconds())/1e3, "µs-p"+strconv.Itoa(p)+"-from-"+name)
	}
}

// startWatchFn runs Watch from scratch with fn until the benchmark ends.
func startWatchFn(b *testing.B, cfg Config, fn func(Event) error) *watchRun {
	w, err := NewWatcher(cfg, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &watchRun{done: make(chan error, 1), cancel: cancel}
	go func() { r.done <- w.Watch(ctx, nil, fn) }()
	b.Cleanup(func() { r.stop(b) })
	return r
}
