package sync

import (
	gosync "sync"
	"testing"
)

// TestInParts: every index is covered exactly once, by the part that
// claims it, whatever n and parts are.
func TestInParts(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 64, 1000, 1001} {
		for _, parts := range []int{-1, 0, 1, 2, 3, 8, 2000} {
			seen := make([]int, n)
			var mu gosync.Mutex
			calls := 0
			inParts(n, parts, func(part, lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if lo > hi || part < 0 || part >= max(1, parts) {
					t.Errorf("n=%d parts=%d: part %d got [%d, %d)", n, parts, part, lo, hi)
				}
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			if calls != max(1, parts) {
				t.Errorf("n=%d parts=%d: %d calls", n, parts, calls)
			}
			for i, c := range seen {
				if c != 1 {
					t.Errorf("n=%d parts=%d: index %d covered %d times", n, parts, i, c)
				}
			}
		}
	}
}
