package sync

import gosync "sync"

// inParts splits [0, n) into parts contiguous ranges of about equal size
// and calls fn with each: part 0 on the calling goroutine, the others on
// goroutines of their own. It returns once every call has. parts below 1
// count as 1; a range may be empty when parts is close to n. The runner
// maps a page of the source with it; BuildPlan runs on one goroutine.
func inParts(n, parts int, fn func(part, lo, hi int)) {
	parts = max(1, parts)
	per := (n + parts - 1) / parts
	var wg gosync.WaitGroup
	for i := 1; i < parts; i++ {
		lo, hi := min(n, i*per), min(n, (i+1)*per)
		wg.Go(func() { fn(i, lo, hi) })
	}
	fn(0, 0, min(n, per))
	wg.Wait()
}
