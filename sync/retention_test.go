package sync

import (
	"context"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/targets"
)

// TestRetentionRestartsOnANewDisable: a leaver's account that someone
// re-enabled by hand is disabled again by idsync, and its deletion is due
// delete_after from that disable, as the plan of the disable says, not
// from the first one.
func TestRetentionRestartsOnANewDisable(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: people(30)}
	r, _ := newTestRunner(t, src, tgt)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.Now = func() time.Time { return now }
	r.Targets[0].Policy = Policy{Leavers: "disable", DeleteAfter: 90 * 24 * time.Hour}
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.entries = src.entries[1:] // aa leaves
	now = now.Add(time.Hour)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	// 100 days later someone turns the account on again by hand.
	now = now.Add(100 * 24 * time.Hour)
	for id, a := range tgt.accounts {
		if a.UserName == "aa" {
			a.Active = true
			tgt.accounts[id] = a
		}
	}
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Plans[0].Changes
	if len(c) != 1 || c[0].Action != Disable || !c[0].DeleteOn.Equal(now.Add(90*24*time.Hour)) {
		t.Fatalf("changes %+v; want aa disabled again, to be deleted in 90 days", c)
	}
	now = now.Add(24 * time.Hour)
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Action != Report {
		t.Errorf("a day after the new disable: changes %+v; want aa waiting for its deletion", p.Changes)
	}
}

// cancelOnCreate stops the run (cancels its ctx) at the first create.
type cancelOnCreate struct {
	*fakeTarget
	cancel func()
}

func (c *cancelOnCreate) Create(ctx context.Context, a targets.Account) (string, error) {
	c.cancel()
	return c.fakeTarget.Create(ctx, a)
}

// TestUpkeepAfterApplyOnly: the audit upkeep (retention, checkpoints) runs
// after an apply run, with the run's context, and not after one that was
// stopped: a stop stops the upkeep too.
func TestUpkeepAfterApplyOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tgt := &cancelOnCreate{newFakeTarget(), func() {}}
	src := &sliceSource{entries: []mapping.Entry{entry("ann", "ann", "Eng")}}
	r, _ := newTestRunner(t, src, tgt)
	upkeeps := 0
	r.Retention = func(ctx context.Context) error {
		if ctx.Err() != nil {
			t.Error("the upkeep got a cancelled context")
		}
		upkeeps++
		return nil
	}
	if _, err := r.Run(ctx, Options{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if upkeeps != 0 {
		t.Errorf("a plan ran the upkeep")
	}
	tgt.cancel = cancel
	r.Run(ctx, Options{}) // stopped at its first write
	if upkeeps != 0 {
		t.Errorf("a stopped apply ran the upkeep")
	}
	tgt.cancel = func() {}
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if upkeeps != 1 {
		t.Errorf("an apply ran the upkeep %d times, want once", upkeeps)
	}
}
