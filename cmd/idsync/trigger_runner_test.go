package main

import (
	"context"
	"errors"
	"io"
	"strings"
	gosync "sync"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/sync"
)

// TestRunNow checks the daemon's admin.Runner on an engine whose runs fail
// when asked: what the engine is asked for, and the results and errors.
func TestRunNow(t *testing.T) {
	var mu gosync.Mutex
	var got []sync.Request
	ran := make(chan struct{}, 8)
	runFunc := func(_ context.Context, req sync.Request) error {
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		ran <- struct{}{}
		if req.DryRun {
			return nil
		}
		return errors.New("scim: 503 Service Unavailable")
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	e, err := sync.NewEngine(sync.EngineConfig{}, runFunc, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- e.Run(ctx) }()
	d := &daemon{engine: e}

	res, err := d.runNow(context.Background(), admin.RunRequest{Mode: admin.ModeIncremental, DryRun: true, Wait: true})
	if err != nil || res.Status != admin.RunSucceeded || !strings.HasPrefix(res.Summary, "incremental dry run succeeded in ") {
		t.Errorf("dry run: %+v, %v", res, err)
	}
	<-ran
	res, err = d.runNow(context.Background(), admin.RunRequest{Mode: admin.ModeFull, Wait: true})
	if err != nil || res.Status != admin.RunFailed || res.Error != "scim: 503 Service Unavailable" ||
		!strings.HasPrefix(res.Summary, "full run failed after ") {
		t.Errorf("failed run: %+v, %v", res, err)
	}
	<-ran
	res, err = d.runNow(context.Background(), admin.RunRequest{Mode: admin.ModeFull})
	if err != nil || res != (admin.RunResult{Status: admin.RunQueued, Summary: "full run queued"}) {
		t.Errorf("no wait: %+v, %v", res, err)
	}
	<-ran
	mu.Lock()
	for i, req := range got {
		want := sync.RunFull
		if i == 0 {
			want = sync.RunIncremental // a poll
		}
		if req.Kind != want || req.Reason != reasonManual || req.DryRun != (i == 0) {
			t.Errorf("engine request %d: %+v", i, req)
		}
	}
	mu.Unlock()

	cancel()
	if err := <-stopped; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("engine: %v", err)
	}
	for _, wait := range []bool{true, false} {
		if _, err := d.runNow(context.Background(), admin.RunRequest{Mode: admin.ModeFull, Wait: wait}); !errors.Is(err, sync.ErrStopped) {
			t.Errorf("after the engine stopped (wait %v): %v, want ErrStopped", wait, err)
		}
	}
	if trigger(reasonManual) != "manual" {
		t.Errorf("status trigger of %q: %q, want manual", reasonManual, trigger(reasonManual))
	}
}
