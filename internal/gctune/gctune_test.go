package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	c := Config{Target: 256 << 20, Min: 75, Max: 400}
	tests := []struct {
		live uint64
		want int
	}{
		{0, 400},             // nothing live yet
		{1 << 20, 400},       // 25500% wanted, clamped
		{256 << 20 / 5, 400}, // exactly Max: goal = target
		{256 << 20 / 3, 200}, // goal = 3 * live = target
		{128 << 20, 100},     // goal = 2 * live = target
		{160 << 20, 75},      // 60% wanted, clamped to Min
		{256 << 20, 75},      // at the target
		{1 << 40, 75},        // far above: Min, never less
	}
	for _, tt := range tests {
		if got := c.Percent(tt.live); got != tt.want {
			t.Errorf("Percent(%d MiB) = %d, want %d", tt.live>>20, got, tt.want)
		}
	}
}

// TestStartRetunes holds a small and then a large live heap and checks
// that a collection retunes GOGC for each, and that stop restores the
// setting in effect before Start.
func TestStartRetunes(t *testing.T) {
	old := debug.SetGCPercent(123)
	defer debug.SetGCPercent(old)
	c := Config{Target: 64 << 20, Min: 75, Max: 400}
	tu := Start(c)
	waitFor := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			runtime.GC()
			if got := int64(tu.GOGC()); got == want {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("GOGC = %d after collections, want %d", got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	small := make([]byte, 4<<20)
	waitFor(400) // about 4 MiB live: (64-4)/4 is far above Max
	big := make([][]byte, 0, 64)
	for range 64 {
		big = append(big, make([]byte, 1<<20))
	}
	waitFor(75) // about 68 MiB live: above the target
	runtime.KeepAlive(small)
	runtime.KeepAlive(big)
	big = nil
	waitFor(400) // freed again
	tu.Stop()
	tu.Stop() // idempotent
	if got := debug.SetGCPercent(old); got != 123 {
		t.Errorf("GOGC after stop = %d, want the 123 set before Start", got)
	}
	// A collection after stop changes nothing.
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if got := debug.SetGCPercent(old); got != old {
		t.Errorf("GOGC changed after stop: %d, want %d", got, old)
	}
}
