//go:build linux

package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile of ds (nearest rank); 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// print writes the results and checks them against the goals of issue 10
// (p95 <= 1 s; no measurable CPU while idle; RSS after the changes within
// 10% of the RSS after the first full reconciliation).
func (r *watchResult) print(o options) {
	fmt.Printf("\nwatch: %d people in %d groups, %d changes one after another\n", o.size, o.groups, len(r.all))
	fmt.Printf("%-44s %8s %8s %8s %8s %6s\n", "change latency (ldapmodify -> SCIM write)", "p50", "p95", "p99", "max", "count")
	row := func(name string, ds []time.Duration) {
		fmt.Printf("%-44s %8s %8s %8s %8s %6d\n", name, ms(percentile(ds, 50)), ms(percentile(ds, 95)),
			ms(percentile(ds, 99)), ms(percentile(ds, 100)), len(ds))
	}
	row("all", r.all)
	for _, k := range changeKinds {
		row("  "+k, r.latencies[k])
	}
	idleCPU := r.afterIdle.cpu - r.afterFull.cpu
	changesCPU := r.afterChanges.cpu - r.afterIdle.cpu
	fmt.Printf("\ndaemon (idsync run) CPU time and RSS, from /proc (CPU in 10 ms ticks):\n")
	fmt.Printf("  first full reconciliation: %.1f s wall, %.2f s CPU, RSS %.0f MB\n",
		r.reconcile.Seconds(), r.afterFull.cpu.Seconds(), r.afterFull.rssMiB)
	fmt.Printf("  idle %.0f s: %.2f s CPU (%.2f%% of a core), RSS %.0f MB\n",
		r.idle.Seconds(), idleCPU.Seconds(), 100*idleCPU.Seconds()/r.idle.Seconds(), r.afterIdle.rssMiB)
	perChange := time.Duration(0)
	if n := len(r.all); n > 0 {
		perChange = changesCPU / time.Duration(n)
	}
	growth := 100 * (r.afterChanges.rssMiB - r.afterFull.rssMiB) / r.afterFull.rssMiB
	fmt.Printf("  %d changes in %.1f s: %.2f s CPU (%s per change), RSS %.0f MB (%+.1f%% vs after the first reconciliation)\n",
		len(r.all), r.changesTook.Seconds(), changesCPU.Seconds(), ms(perChange), r.afterChanges.rssMiB, growth)
	fmt.Printf("\ngoals (issue 10, at 100,000 people):\n")
	fmt.Printf("  %-56s %s\n", fmt.Sprintf("p95 change latency <= 1 s (%s)", ms(percentile(r.all, 95))),
		verdict(percentile(r.all, 95) <= time.Second))
	fmt.Printf("  %-56s %s\n", fmt.Sprintf("no measurable CPU while idle (%.2f s)", idleCPU.Seconds()),
		verdict(idleCPU < 50*time.Millisecond))
	fmt.Printf("  %-56s %s\n", fmt.Sprintf("RSS after the changes within 10%% (%+.1f%%)", growth), verdict(math.Abs(growth) <= 10))
}
