//go:build !unix

package state

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
