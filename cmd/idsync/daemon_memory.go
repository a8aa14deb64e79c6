package main

import (
	"runtime/debug"
	"time"

	"github.com/idsync/idsync/sync"
)

// ranFull reports whether a run read everything: a full request, or an
// incremental one that fell back to a full pass.
func ranFull(req sync.Request, out *sync.Outcome) bool {
	if req.Kind != sync.RunIncremental {
		return true
	}
	return out != nil && len(out.Plans) > 0 && out.Plans[0].Incremental == nil
}

// returnMemory hands the memory a full run used back to the system at
// once, before the daemon goes idle. A full run holds the whole directory
// for a while; left to itself the Go runtime returns those pages a few at
// a time in the background, which shows as CPU used by an idle daemon for
// a minute after every full reconciliation. Done here, it costs one
// collection of the small heap a daemon keeps between runs.
func (d *daemon) returnMemory() {
	start := time.Now()
	debug.FreeOSMemory()
	d.log.WithField("seconds", time.Since(start).Seconds()).Debug("memory of the full run returned to the system")
}
