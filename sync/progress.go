package sync

import "github.com/idsync/idsync/internal/progress"

// Progress follows the applies of a run, for a terminal line or periodic
// log lines. Its methods are called from the goroutine that runs Apply;
// the meter it returns is counted on by the apply's workers.
type Progress interface {
	// Begin is called as target's apply starts, with the number of steps
	// ahead (an account change, or one group's removals or additions);
	// the apply adds 1 to the returned meter after each step.
	Begin(target string, steps int) *progress.Meter
	// End is called when that apply ends, whatever its outcome.
	End(target string)
}
