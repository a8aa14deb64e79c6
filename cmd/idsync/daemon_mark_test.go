package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idsync/idsync/sync"
)

// markSource is a source with no people that lists its changes by
// watermark (Active Directory's uSNChanged), or by time; its watermark
// can fail to be read.
type markSource struct {
	switchSource
	mark        string // "": Watermark fails
	after       []string
	sinceCalled int
}

func (s *markSource) Watermark(context.Context) ([]byte, error) {
	if s.mark == "" {
		return nil, errors.New("rootDSE: connection reset")
	}
	return []byte(s.mark), nil
}

var _ sync.WatermarkLister = (*markSource)(nil)

func (s *markSource) ChangedAfter(_ context.Context, mark []byte) (ids, groups, deleted []string, full bool, err error) {
	s.after = append(s.after, string(mark))
	return nil, nil, nil, false, nil
}

func (s *markSource) ChangedSince(context.Context, time.Time) ([]string, []string, error) {
	s.sinceCalled++
	return nil, nil, nil
}

// TestPollKeepsWatermark: a run whose watermark could not be read (a
// blip on the domain controller) must not drop the mark of the run
// before it: the next poll would go by modification time, which does
// not see the people deleted from the directory, and they would keep
// their access until the next full run. The next poll lists the changes
// after the last mark read.
func TestPollKeepsWatermark(t *testing.T) {
	d, _, _ := reloadEnv(t, "")
	src := &markSource{mark: "m1"}
	d.runner.Source, d.runner.Targets = src, nil
	ctx := context.Background()
	if err := d.runOnce(ctx, sync.Request{Kind: sync.RunFull, Reason: "startup"}); err != nil {
		t.Fatal(err)
	}
	src.mark = ""
	if err := d.runOnce(ctx, sync.Request{Kind: sync.RunIncremental, Reason: "poll"}); err != nil {
		t.Fatal(err)
	}
	src.mark = "m3"
	if err := d.runOnce(ctx, sync.Request{Kind: sync.RunIncremental, Reason: "poll"}); err != nil {
		t.Fatal(err)
	}
	if src.sinceCalled != 0 || len(src.after) != 2 || src.after[0] != "m1" || src.after[1] != "m1" {
		t.Errorf("polls listed by time %d times and after marks %q; want both after m1", src.sinceCalled, src.after)
	}
}

// TestPollWithoutMarkRunsFull: the startup run's watermark could not be
// read, so no mark says where the changes start: the first poll must read
// everything, not go by modification time and miss the people deleted.
func TestPollWithoutMarkRunsFull(t *testing.T) {
	d, _, _ := reloadEnv(t, "")
	src := &markSource{}
	d.runner.Source, d.runner.Targets = src, nil
	ctx := context.Background()
	if err := d.runOnce(ctx, sync.Request{Kind: sync.RunFull, Reason: "startup"}); err != nil {
		t.Fatal(err)
	}
	src.mark = "m2"
	reads := src.set(false)
	if err := d.runOnce(ctx, sync.Request{Kind: sync.RunIncremental, Reason: "poll"}); err != nil {
		t.Fatal(err)
	}
	if got := src.set(false) - reads; got != 1 || src.sinceCalled != 0 {
		t.Errorf("the poll read the source %d times in full and listed by time %d times; want one full read", got, src.sinceCalled)
	}
}
